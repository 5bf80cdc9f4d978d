// Installs ONNX Runtime's CUDA execution provider next to the onnxruntime-node binaries that this
// process loads. onnxruntime-node leaves the CUDA provider out of its npm package (too large) and
// fetches it in an install script; an installed VSIX has no install scripts (and no script/
// folder), so `embedding-studio install-cuda` (and the VS Code command *Install CUDA Provider*)
// does what that script does: take the NuGet package Microsoft.ML.OnnxRuntime.Gpu.Linux of the
// same version, and copy its provider libraries into bin/napi-v6/linux/x64 — the only folder ORT
// looks in (it loads them from beside libonnxruntime.so.1). An extension update replaces that
// folder: run the command again after one.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileSource, readZipDirectory, readZipEntry } from '../sd/zipArchive';

export const cudaProviderPackageId = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';

/** What the CUDA provider needs from the package (ORT's install-metadata.js, linux/x64:cuda12, less TensorRT). */
export const cudaProviderMembers = ['runtimes/linux-x64/native/libonnxruntime_providers_shared.so', 'runtimes/linux-x64/native/libonnxruntime_providers_cuda.so'] as const;

/** NuGet's flat-container address of the package (ids and versions in lower case). */
export function cudaProviderPackageUrl(version: string): string {
  const id = cudaProviderPackageId.toLowerCase();
  return `https://api.nuget.org/v3-flatcontainer/${id}/${version.toLowerCase()}/${id}.${version.toLowerCase()}.nupkg`;
}

/** The onnxruntime-node package this process loads: its folder, version and native binaries folder. */
export function onnxRuntimeNodeLocation(): { folder: string; version: string; binaries: string } {
  const manifest = require.resolve('onnxruntime-node/package.json');
  const folder = dirname(manifest);
  const version = String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version);
  return { folder, version, binaries: join(folder, 'bin', 'napi-v6', process.platform, process.arch) };
}

/** Downloads `url` to `destination` (atomically), following redirects; `onProgress(bytes, total)`. */
export function downloadFile(url: string, destination: string, onProgress?: (bytes: number, total: number | null) => void, redirects = 5): Promise<void> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('http:') ? httpGet : httpsGet;
    const request = get(url, (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        if (redirects === 0) return reject(new Error(`${url}: too many redirects`));
        return resolve(downloadFile(new URL(response.headers.location, url).toString(), destination, onProgress, redirects - 1));
      }
      if (status !== 200) {
        response.resume();
        return reject(new Error(`${url}: HTTP ${status}${status === 404 ? ' (no such package version on nuget.org)' : ''}`));
      }
      const total = Number(response.headers['content-length']) || null;
      const part = `${destination}.part`;
      const out = createWriteStream(part);
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        onProgress?.(bytes, total);
      });
      response.pipe(out);
      out.on('finish', () => {
        if (total !== null && bytes !== total) {
          rmSync(part, { force: true });
          return reject(new Error(`${url}: the download stopped at ${bytes} of ${total} bytes`));
        }
        renameSync(part, destination);
        resolve();
      });
      const fail = (error: Error) => {
        out.destroy();
        rmSync(part, { force: true });
        reject(new Error(`${url}: ${error.message}`));
      };
      response.on('error', fail);
      out.on('error', fail);
    });
    request.on('error', (error) => reject(new Error(`${url}: ${error.message} — no network? Download the package elsewhere and give it with --from`)));
  });
}

export interface CudaInstallOptions {
  /** A .nupkg already downloaded (offline machines); default: download it from nuget.org. */
  from?: string;
  /** Where the provider libraries go; default: the binaries folder of the onnxruntime-node this process loads. */
  to?: string;
  /** The package version; default: the loaded onnxruntime-node's (they must match). */
  version?: string;
  onProgress?: (message: string) => void;
}

export interface CudaInstallResult {
  files: string[];
  version: string;
  source: string;
}

export async function installCudaProvider(options: CudaInstallOptions = {}): Promise<CudaInstallResult> {
  const location = options.to && options.version ? undefined : onnxRuntimeNodeLocation();
  const version = options.version ?? location!.version;
  const target = options.to ?? location!.binaries;
  const say = options.onProgress ?? (() => undefined);
  let source = options.from;
  let downloaded: string | undefined;
  if (!source) {
    const url = cudaProviderPackageUrl(version);
    downloaded = join(tmpdir(), `embedding-studio-${cudaProviderPackageId.toLowerCase()}.${version}.nupkg`);
    say(`downloading ${url}`);
    let shown = -1;
    await downloadFile(url, downloaded, (bytes, total) => {
      const tenth = total ? Math.floor((bytes / total) * 10) : Math.floor(bytes / 100e6);
      if (tenth !== shown) {
        shown = tenth;
        say(total ? `  ${Math.round((bytes / total) * 100)}% of ${(total / 1e6).toFixed(0)} MB` : `  ${(bytes / 1e6).toFixed(0)} MB`);
      }
    });
    source = downloaded;
  }
  if (!existsSync(source)) throw new Error(`${source}: no such file — give the ${cudaProviderPackageId} ${version} .nupkg (${cudaProviderPackageUrl(version)})`);
  const fd = openSync(source, 'r');
  const files: string[] = [];
  try {
    const bytes = fileSource(fd);
    const entries = readZipDirectory(bytes, source, 'the ZIP directory is missing — this is not a .nupkg, or it is truncated; download it again');
    mkdirSync(target, { recursive: true });
    for (const member of cudaProviderMembers) {
      const entry = entries.find((e) => e.name === member);
      if (!entry) throw new Error(`${source}: ${member} is missing — is this ${cudaProviderPackageId} ${version}?`);
      say(`extracting ${basename(member)}`);
      const data = readZipEntry(bytes, entry, source);
      if (data.length < 4 || data.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${source}: ${member} is not a Linux shared library (no ELF header)`);
      const path = join(target, basename(member));
      writeFileSync(`${path}.part`, data, { mode: 0o755 });
      renameSync(`${path}.part`, path);
      files.push(path);
    }
  } finally {
    closeSync(fd);
    if (downloaded) rmSync(downloaded, { force: true });
  }
  return { files, version, source: options.from ?? cudaProviderPackageUrl(version) };
}
