// Telling a software WebGPU adapter from a GPU, on SwiftShader (a CPU emulation of a GPU, with
// no shaderFloat16): named from the Vulkan driver manifests, and — where nothing can name it, as
// on Windows — by the timed probe against the CPU provider; and the float16 answer that the
// compute-precision decision takes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { probeSlowdownLimit, type AdapterAssessment, type Float16Support } from '../../src/onnx/gpuAdapter';
import { chooseComputePrecision, type PrecisionDecision } from '../../src/train/computePrecision';
import { softwareVulkan } from './softwareVulkan';

const repo = join(__dirname, '../..');
const vulkan = softwareVulkan();
after(() => {
  if (typeof vulkan !== 'string') vulkan.cleanup();
});

test('SwiftShader: named by its manifest, caught by the timed probe, and without shader-f16 (so float32)', { skip: typeof vulkan === 'string' ? vulkan : false }, () => {
  if (typeof vulkan === 'string') return;
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'gpuAdapterChild.ts')], { cwd: repo, env: vulkan.env, encoding: 'utf8', timeout: 300_000 });
  assert.equal(run.status, 0, run.stderr.slice(-3000));
  const r = JSON.parse(run.stdout) as { named: AdapterAssessment; probed: AdapterAssessment; float16: Float16Support; precision: PrecisionDecision; builtPrecision: PrecisionDecision };
  assert.deepEqual([r.named.method, r.named.software, r.named.name], ['vulkan-driver-manifests', true, 'SwiftShader']);
  assert.equal(r.probed.method, 'timed-probe');
  assert.equal(r.probed.available, true);
  assert.ok(r.probed.probe!.slowdown > probeSlowdownLimit, `SwiftShader ran the probe only ${r.probed.probe!.slowdown.toFixed(1)}× slower than the CPU`);
  assert.equal(r.probed.software, true);
  assert.match(r.probed.detail, /timed probe ran [\d.]+× slower than the CPU/);
  assert.equal(r.float16.supported, false);
  assert.match(r.float16.detail, /no shader-f16/);
  assert.equal(r.precision.precision, 'float32');
  assert.equal(r.builtPrecision.precision, 'float32', 'no fp16 without shader-f16, even with the graph built');
});

test('compute precision: float32 on the CPU and without adapter fp16; fp16 only with the graph built and an fp16 adapter', async () => {
  const yes = async (): Promise<Float16Support> => ({ supported: true, detail: 'a float16 kernel ran on webgpu (shader-f16)' });
  const no = async (): Promise<Float16Support> => ({ supported: false, detail: 'the adapter has no shader-f16' });
  assert.equal((await chooseComputePrecision('cpu', { float16Support: yes, fp16GraphBuilt: true })).precision, 'float32');
  const notBuilt = await chooseComputePrecision('webgpu', { float16Support: yes });
  assert.equal(notBuilt.precision, 'float32');
  assert.match(notBuilt.reason, /fp16 compute graph is not built yet/);
  assert.equal((await chooseComputePrecision('cuda', { float16Support: yes, fp16GraphBuilt: true })).precision, 'float16');
  const unsupported = await chooseComputePrecision('dml', { float16Support: no, fp16GraphBuilt: true });
  assert.deepEqual([unsupported.precision, unsupported.reason], ['float32', 'float32 on dml: the adapter has no shader-f16']);
});
