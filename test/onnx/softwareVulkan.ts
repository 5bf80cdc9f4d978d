// A software Vulkan device for the WebGPU tests: Debian's chromium package ships SwiftShader
// (/usr/lib/chromium/libvk_swiftshader.so and its manifest) and a Vulkan loader. The tests run
// WebGPU work in child processes with this environment: the loader is found by the dynamic
// linker at process start (LD_LIBRARY_PATH), so it cannot be switched on inside a running test.
// `scripts/test.mjs` installs chromium when it is missing (as root with apt-get).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const swiftShaderManifest = '/usr/lib/chromium/vk_swiftshader_icd.json';
const chromiumLoader = '/usr/lib/chromium/libvulkan.so.1';
const repoRoot = join(__dirname, '../..');

export interface SoftwareVulkan {
  /** The environment for a child process: SwiftShader as the only Vulkan driver. */
  env: NodeJS.ProcessEnv;
  root: string;
  cleanup(): void;
}

function systemHasVulkanLoader(): boolean {
  const ldconfig = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  return ldconfig.status === 0 && /\blibvulkan\.so\.1\b/.test(ldconfig.stdout);
}

let cached: SoftwareVulkan | string | undefined;

/** SwiftShader's environment, or the reason none can be made (a test then skips with it). */
export function softwareVulkan(): SoftwareVulkan | string {
  if (cached) return cached;
  if (!existsSync(swiftShaderManifest)) {
    cached = `no software Vulkan device: ${swiftShaderManifest} is missing (install Debian's chromium: apt-get install chromium; npm test does this as root)`;
    return cached;
  }
  const root = mkdtempSync(join(tmpdir(), 'es-swiftshader-'));
  const runtime = join(root, 'runtime');
  mkdirSync(runtime);
  chmodSync(runtime, 0o700);
  const libraries = join(root, 'lib');
  mkdirSync(libraries);
  if (!systemHasVulkanLoader() && existsSync(chromiumLoader)) symlinkSync(chromiumLoader, join(libraries, 'libvulkan.so.1'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VK_ICD_FILENAMES: swiftShaderManifest,
    VK_DRIVER_FILES: swiftShaderManifest,
    XDG_RUNTIME_DIR: runtime,
    LD_LIBRARY_PATH: [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  };
  delete env.EMBEDDING_STUDIO_DRIVER_MESSAGES;
  // Make a device for real: a one-node graph on WebGPU.
  const probe = spawnSync(
    process.execPath,
    ['-e', `const ort = require('onnxruntime-node'); const { Graph, serializeModel } = require('./src/onnx'); const g = new Graph('p'); g.output(g.neg(g.input('x', 'float32', [2])), 'y');
      ort.InferenceSession.create(serializeModel(g), { executionProviders: ['webgpu'] }).then((s) => s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]) })).then((r) => { if (r.y.data[1] !== -2) throw new Error('wrong result ' + r.y.data); }).catch((e) => { console.error(e.message); process.exit(1); });`],
    { cwd: repoRoot, env: { ...env, NODE_OPTIONS: '--import tsx' }, encoding: 'utf8', timeout: 120_000 },
  );
  if (probe.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    cached = `no software Vulkan device could be made with SwiftShader (${swiftShaderManifest}): ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n').slice(-3).join(' | ')}`;
    return cached;
  }
  cached = { env, root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
  return cached;
}
