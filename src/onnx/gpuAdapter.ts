// What a GPU provider's adapter is, found out before `auto` chooses it. onnxruntime-node exposes
// nothing about the WebGPU or DirectML adapter (only listSupportedBackends), and neither ORT's
// verbose log nor Dawn's messages name it, so `auto` decides in this order:
//  1. by name, where the platform allows: on Linux from the Vulkan drivers the loader would load
//     (vulkanDrivers.ts: only SwiftShader or lavapipe installed means a software adapter; none
//     means no adapter); on macOS every Metal adapter is a GPU;
//  2. otherwise (Windows, where WARP may stand in for WebGPU and DirectML; Linux with a hardware
//     driver installed, whose device may be absent) by a short timed probe: the same matrix
//     products on the provider and on the CPU provider; more than `probeSlowdownLimit`× slower
//     is a software adapter or a GPU not worth using.
// The fp16 capability (for WebGPU, Dawn's `shader-f16`) is probed the same way: a float16 kernel
// either runs on the provider or ORT reports that the device lacks f16.
import type * as Ort from 'onnxruntime-node';
import { Graph } from './graph';
import { serializeModel } from './serialize';
import { conciseOrtMessage, loadOrt } from './ortModule';
import { searchVulkanDrivers, type VulkanDriver, type VulkanDriverSearch } from './vulkanDrivers';

export type AdapterProvider = 'webgpu' | 'dml';

export type AdapterIdentification = 'vulkan-driver-manifests' | 'platform' | 'timed-probe';

export interface TimedProbe {
  providerMs: number;
  cpuMs: number;
  /** providerMs / cpuMs. */
  slowdown: number;
}

export interface AdapterAssessment {
  provider: AdapterProvider;
  method: AdapterIdentification;
  /** False when no adapter can exist (no Vulkan driver installed) or the probe session failed. */
  available: boolean;
  /** A CPU emulation of a GPU (SwiftShader, lavapipe, WARP), or an adapter slower than the CPU provider. */
  software: boolean;
  /** The adapter's name where it could be named. */
  name?: string;
  /** One sentence for provider notes. */
  detail: string;
  probe?: TimedProbe;
  drivers?: VulkanDriver[];
}

/** A provider slower than the CPU provider by more than this on the probe is not used by `auto` (SwiftShader measured 108–286× on this probe here; a GPU, its dispatch overhead included, is expected well under 3× — the GPU check measures it). */
export const probeSlowdownLimit = 10;

/** By name: undefined when the platform's drivers cannot settle it (then the probe decides). */
export function nameWebgpuAdapter(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, search?: VulkanDriverSearch): AdapterAssessment | undefined {
  if (platform === 'darwin') return { provider: 'webgpu', method: 'platform', available: true, software: false, name: 'Metal', detail: 'macOS: WebGPU runs on Metal, whose adapters are GPUs' };
  if (platform !== 'linux') return undefined;
  search ??= searchVulkanDrivers(env);
  const drivers = search.drivers;
  const where = search.override ? `${search.override}=${search.searched.join(':')}` : `searched ${search.searched.join(', ')}`;
  if (drivers.length === 0) {
    const unreadable = search.unreadable.length ? `; unusable manifests: ${search.unreadable.join('; ')}` : '';
    return { provider: 'webgpu', method: 'vulkan-driver-manifests', available: false, software: false, detail: `no Vulkan driver is installed (no driver manifest: ${where}${unreadable})`, drivers };
  }
  if (drivers.every((d) => d.kind === 'software')) {
    const names = [...new Set(drivers.map((d) => d.name))].join(' or ');
    return {
      provider: 'webgpu',
      method: 'vulkan-driver-manifests',
      available: true,
      software: true,
      name: names,
      detail: `the only Vulkan driver${drivers.length > 1 ? 's are' : ' is'} ${drivers.map((d) => `${d.name} (${d.manifest})`).join(', ')}, a CPU emulation of a GPU`,
      drivers,
    };
  }
  return undefined;
}

/** Six 256×256 matrix products with tanh between them: 0.2 GFLOP, seconds on an emulator, a millisecond or two on a GPU or a CPU. */
function probeModel(): { bytes: Uint8Array; feeds: Record<string, Ort.Tensor> } {
  const n = 256;
  const g = new Graph('speed_probe');
  const x = g.input('x', 'float32', [n, n]);
  const values = new Float32Array(n * n);
  let seed = 12345;
  for (let i = 0; i < values.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    values[i] = (seed / 0x7fffffff - 0.5) * (2 / Math.sqrt(n));
  }
  const w = g.constant(values, [n, n], 'float32');
  let y = x;
  for (let i = 0; i < 6; i++) y = g.tanh(g.matMul(y, w));
  g.output(y, 'y');
  const ort = loadOrt();
  const input = new Float32Array(n * n).map((_, i) => Math.sin(i));
  return { bytes: serializeModel(g), feeds: { x: new ort.Tensor('float32', input, [n, n]) } };
}

async function timedRunMs(session: Ort.InferenceSession, feeds: Record<string, Ort.Tensor>): Promise<number> {
  const start = performance.now();
  await session.run(feeds);
  return performance.now() - start;
}

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function providerConfig(provider: AdapterProvider, deviceId = 0): Ort.InferenceSession.ExecutionProviderConfig {
  return provider === 'dml' ? { name: 'dml', deviceId } : 'webgpu';
}

/**
 * Times the probe on the CPU provider (median of 3 after a warm-up), then on the provider: a
 * warm-up (shader compilation), then one run; an emulator is already far beyond the limit there
 * and is not timed further, else two more runs give a median. Throws when the provider cannot start.
 */
export async function timeProviderAgainstCpu(provider: AdapterProvider, deviceId = 0): Promise<TimedProbe> {
  const ort = loadOrt();
  const { bytes, feeds } = probeModel();
  const cpu = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  let cpuMs: number;
  try {
    await cpu.run(feeds);
    cpuMs = median([await timedRunMs(cpu, feeds), await timedRunMs(cpu, feeds), await timedRunMs(cpu, feeds)]);
  } finally {
    await cpu.release();
  }
  const gpu = await ort.InferenceSession.create(bytes, { executionProviders: [providerConfig(provider, deviceId)], logSeverityLevel: 3 });
  let providerMs: number;
  try {
    await gpu.run(feeds);
    const first = await timedRunMs(gpu, feeds);
    providerMs = first > probeSlowdownLimit * cpuMs ? first : median([first, await timedRunMs(gpu, feeds), await timedRunMs(gpu, feeds)]);
  } finally {
    await gpu.release();
  }
  return { providerMs, cpuMs, slowdown: providerMs / cpuMs };
}

function probeAssessment(provider: AdapterProvider, probe: TimedProbe): AdapterAssessment {
  const figures = `${probe.providerMs.toFixed(1)} ms against ${probe.cpuMs.toFixed(1)} ms on the CPU provider`;
  const software = probe.slowdown > probeSlowdownLimit;
  return {
    provider,
    method: 'timed-probe',
    available: true,
    software,
    detail: software
      ? `the adapter could not be named, and a timed probe ran ${probe.slowdown.toFixed(1)}× slower than the CPU (${figures}): a software adapter or a GPU slower than this CPU`
      : `the adapter could not be named; a timed probe ran at ${(1 / probe.slowdown).toFixed(1)}× the CPU's speed (${figures})`,
    probe,
  };
}

const probed = new Map<string, Promise<AdapterAssessment>>();

export interface AssessmentOptions {
  /** false: never run the timed probe (answer undefined when the adapter cannot be named). */
  probe?: boolean;
  deviceId?: number;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

/** What the provider would run on: by name where possible, else from the timed probe (run once per process and device). */
export async function assessAdapter(provider: AdapterProvider, options: AssessmentOptions = {}): Promise<AdapterAssessment | undefined> {
  const named = provider === 'webgpu' ? nameWebgpuAdapter(options.platform, options.env) : undefined;
  if (named || options.probe === false) return named;
  const key = `${provider}:${options.deviceId ?? 0}`;
  let result = probed.get(key);
  if (!result) {
    result = timeProviderAgainstCpu(provider, options.deviceId).then(
      (probe) => probeAssessment(provider, probe),
      (error: Error) => ({ provider, method: 'timed-probe' as const, available: false, software: false, detail: `no ${provider} adapter could be started (${conciseOrtMessage(error.message)})` }),
    );
    probed.set(key, result);
  }
  return result;
}

export interface Float16Support {
  supported: boolean;
  detail: string;
}

const f16Probes = new Map<string, Promise<Float16Support>>();

/**
 * Whether the provider's adapter computes in float16 (for WebGPU: Dawn's `shader-f16`): a float16
 * Add either runs there or fails for want of f16. Once per process and device.
 */
export function adapterRunsFloat16(provider: AdapterProvider | 'cuda', deviceId = 0): Promise<Float16Support> {
  const key = `${provider}:${deviceId}`;
  const known = f16Probes.get(key);
  if (known) return known;
  const result = (async (): Promise<Float16Support> => {
    const ort = loadOrt();
    const g = new Graph('float16_probe');
    const x = g.input('x', 'float16', [4]);
    g.output(g.add(x, x), 'y');
    const ep: Ort.InferenceSession.ExecutionProviderConfig = provider === 'cuda' ? { name: 'cuda', deviceId } : providerConfig(provider, deviceId);
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(serializeModel(g), { executionProviders: [ep], logSeverityLevel: 4 });
    } catch (error) {
      return { supported: false, detail: `no ${provider} session could be made (${conciseOrtMessage((error as Error).message)})` };
    }
    try {
      // 1.5 in float16 is 0x3e00; 1.5 + 1.5 = 3 is 0x4200
      const out = await session.run({ x: new ort.Tensor('float16', new Uint16Array(4).fill(0x3e00), [4]) });
      // float16 comes back as raw bits (Uint16Array), or as numbers where Float16Array exists
      const y = Array.from(out.y.data as ArrayLike<number>);
      return y.every((v) => v === 0x4200 || v === 3)
        ? { supported: true, detail: `a float16 kernel ran on ${provider}${provider === 'webgpu' ? ' (shader-f16)' : ''}` }
        : { supported: false, detail: `a float16 kernel ran but returned ${y.map((v) => `0x${v.toString(16)}`).join(', ')} instead of 3 (0x4200)` };
    } catch (error) {
      const message = conciseOrtMessage((error as Error).message);
      return { supported: false, detail: /requires f16/i.test(message) ? 'the adapter has no shader-f16 (ORT: "requires f16 but the device does not support it")' : `a float16 kernel failed on ${provider} (${message})` };
    } finally {
      await session.release();
    }
  })();
  f16Probes.set(key, result);
  return result;
}
