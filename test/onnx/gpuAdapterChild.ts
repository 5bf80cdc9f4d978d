// Child process of gpuAdapter.test.ts, run with SwiftShader as the only Vulkan driver: what the
// adapter checks say about it, as one JSON line.
import { assessAdapter, adapterRunsFloat16, nameWebgpuAdapter } from '../../src/onnx/gpuAdapter';
import { chooseComputePrecision } from '../../src/train/computePrecision';

async function main(): Promise<void> {
  const named = nameWebgpuAdapter('linux');
  // as on Windows, where nothing names the adapter: the timed probe decides
  const probed = await assessAdapter('webgpu', { platform: 'win32' });
  const float16 = await adapterRunsFloat16('webgpu');
  const precision = await chooseComputePrecision('webgpu');
  const builtPrecision = await chooseComputePrecision('webgpu', { fp16GraphBuilt: true });
  process.stdout.write(JSON.stringify({ named, probed, float16, precision, builtPrecision }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
