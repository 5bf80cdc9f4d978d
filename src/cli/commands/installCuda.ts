// `embedding-studio install-cuda [--from FILE.nupkg] [--to DIR]`: puts ONNX Runtime's CUDA
// provider beside the onnxruntime-node binaries this CLI loads (a checkout's node_modules, or an
// installed VSIX's own), from NuGet's Microsoft.ML.OnnxRuntime.Gpu.Linux of the same version.
import type { CliCommand } from '../cliCommand';
import { cudaProviderPackageId, cudaProviderPackageUrl, installCudaProvider, onnxRuntimeNodeLocation } from '../cudaProviderInstall';
import { parseCommandArguments } from '../commandArguments';

const usage = `Usage: embedding-studio install-cuda [--from FILE.nupkg] [--to DIR]

Installs ONNX Runtime's CUDA execution provider (Linux x64, NVIDIA GPUs) for the training and
tagging processes: libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so from
the NuGet package ${cudaProviderPackageId} of the bundled onnxruntime-node's version,
into its bin/napi-v6/linux/x64 folder (where ONNX Runtime loads them from).
  --from FILE   a .nupkg downloaded elsewhere (for a machine without internet)
  --to DIR      another folder (default: the onnxruntime-node this command loads)
Needs, at training time: the NVIDIA driver, CUDA 12 and cuDNN 9 libraries on the library path.
After an extension update, run it again (the update replaces the extension's folder).
Exit status: 0 installed, 1 failed, 2 bad usage or not Linux x64.
`;

export const installCudaCommand: CliCommand = {
  name: 'install-cuda',
  summary: 'Install ONNX Runtime\'s CUDA provider (Linux x64) beside the bundled onnxruntime-node',
  async run(args) {
    const parsed = parseCommandArguments('install-cuda', usage, args, { from: { type: 'string' }, to: { type: 'string' } });
    if (typeof parsed === 'number') return parsed;
    if (parsed.positionals.length > 0) {
      process.stderr.write(`embedding-studio install-cuda: unexpected argument ${parsed.positionals[0]}\n\n${usage}`);
      return 2;
    }
    if (`${process.platform}-${process.arch}` !== 'linux-x64' && !parsed.values.to) {
      process.stderr.write(
        `embedding-studio install-cuda: the CUDA provider package is for Linux x64; this is ${process.platform}-${process.arch}.` +
          (process.platform === 'win32' ? ' On Windows the bundled DirectML provider (--provider dml) runs on NVIDIA, AMD and Intel GPUs.\n' : '\n'),
      );
      return 2;
    }
    try {
      const ort = onnxRuntimeNodeLocation();
      const result = await installCudaProvider({ from: parsed.values.from, to: parsed.values.to, onProgress: (m) => process.stdout.write(`${m}\n`) });
      process.stdout.write(
        `installed the CUDA provider of ONNX Runtime ${result.version} (${result.source}):\n${result.files.map((f) => `  ${f}\n`).join('')}` +
          `Training with --provider cuda (or auto) now uses it; it needs the NVIDIA driver, CUDA 12 and cuDNN 9 (libcudart.so.12, libcublas.so.12, libcudnn.so.9) where the dynamic linker finds them.\n` +
          (parsed.values.to ? '' : `(onnxruntime-node ${ort.version} at ${ort.folder})\n`),
      );
      return 0;
    } catch (error) {
      process.stderr.write(`embedding-studio install-cuda: ${(error as Error).message}\n(the package: ${cudaProviderPackageUrl(onnxRuntimeNodeLocation().version)})\n`);
      return 1;
    }
  },
};
