// verify-fixture --provider webgpu on SwiftShader: every case of sd1-tiny through our graphs on
// the WebGPU provider, within the same tolerances as on the CPU. And where no WebGPU adapter can
// exist, a clear error, with Dawn's stderr chatter kept out of the output.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { softwareVulkan } from '../onnx/softwareVulkan';
import { fixtureDir } from './fixtureFiles';

const repo = join(__dirname, '../..');
const vulkan = softwareVulkan();
after(() => {
  if (typeof vulkan !== 'string') vulkan.cleanup();
});
const skip = typeof vulkan === 'string' ? vulkan : false;

function cli(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), 'verify-fixture', ...args], { cwd: repo, env, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Dawn's and the Vulkan loader's lines, as they would appear unfiltered. */
const driverNoise = /^(Warning: |error: XDG_RUNTIME_DIR| - While |    at .*dawn)/m;

test('every sd1-tiny case on WebGPU within the CPU tolerances', { skip }, () => {
  if (typeof vulkan === 'string') return;
  const { code, stdout, stderr } = cli(vulkan.env, fixtureDir, '--provider', 'webgpu');
  assert.equal(code, 0, stdout + stderr);
  const cases = JSON.parse(readFileSync(join(fixtureDir, 'cases.json'), 'utf8')).cases as { name: string; outputs: string[]; aux_outputs?: string[] }[];
  const rows = stdout.split('\n').filter((line) => / (pass|FAIL)$/.test(line));
  assert.equal(rows.length, cases.reduce((n, c) => n + c.outputs.length + (c.aux_outputs?.length ?? 0), 0));
  assert.ok(rows.every((r) => r.endsWith(' pass')), rows.join('\n'));
  assert.match(stdout, /^ti_loss_clip_skip2\s+grad\s+\S+\s+5e-5\s+pass$/m);
  assert.match(stdout, /^vae_decode\s+image\s+\S+\s+1e-5\s+pass$/m);
  assert.match(stdout, /all \d+ outputs within tolerance \(webgpu\)/);
  assert.match(stderr, /running on webgpu\n {2}provider note: webgpu: WARNING — runs on the software adapter SwiftShader/);
  assert.doesNotMatch(stderr, /COMPUTE nodes ran on the CPU/);
  assert.doesNotMatch(stderr, driverNoise);
});

test('no Vulkan driver: --provider webgpu fails with the reason, and Dawn\'s warnings are hidden, not printed', { skip }, () => {
  if (typeof vulkan === 'string') return;
  const none = join(vulkan.root, 'no-such-driver.json');
  const env = { ...vulkan.env, VK_ICD_FILENAMES: none, VK_DRIVER_FILES: none };
  const { code, stdout, stderr } = cli(env, fixtureDir, '--provider', 'webgpu', '--case', 'text_encoder');
  assert.equal(code, 2, stdout + stderr);
  assert.match(stderr, /on webgpu: Failed to get a WebGPU adapter.* — no Vulkan driver is installed/);
  assert.doesNotMatch(stderr, driverNoise);
  assert.match(stderr, /\(\d+ GPU driver messages? hidden: EMBEDDING_STUDIO_DRIVER_MESSAGES=show prints them\)/);
  const shown = cli({ ...env, EMBEDDING_STUDIO_DRIVER_MESSAGES: 'show' }, fixtureDir, '--provider', 'webgpu', '--case', 'text_encoder');
  assert.match(shown.stderr, driverNoise, 'with the switch on, the messages are printed as they come');
});
