// `embedding-studio install-cuda` from a .nupkg given with --from (nuget.org is out of reach
// here: the package is built in the layout of Microsoft.ML.OnnxRuntime.Gpu.Linux), and the
// download, with a redirect as nuget.org answers, from a local HTTP server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cudaProviderPackageUrl, downloadFile } from '../../src/cli/cudaProviderInstall';
import { writeStoredZip } from '../../src/sd/zipArchive';

const repo = join(__dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'es-install-cuda-'));
after(() => rmSync(root, { recursive: true, force: true }));

const native = 'runtimes/linux-x64/native/';
const elf = (text: string) => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.from(text)]);

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), 'install-cuda', ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
}

test('from a downloaded package: the shared and CUDA provider libraries land in the folder, nothing else', () => {
  const nupkg = join(root, 'ort-gpu.nupkg');
  writeFileSync(nupkg, writeStoredZip([
    { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
    { name: `${native}libonnxruntime.so`, data: elf('runtime') },
    { name: `${native}libonnxruntime_providers_shared.so`, data: elf('shared') },
    { name: `${native}libonnxruntime_providers_cuda.so`, data: elf('cuda') },
    { name: `${native}libonnxruntime_providers_tensorrt.so`, data: elf('tensorrt') },
  ]));
  const to = join(root, 'bin');
  const r = cli('--from', nupkg, '--to', to);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readFileSync(join(to, 'libonnxruntime_providers_cuda.so')), elf('cuda'));
  assert.deepEqual(readFileSync(join(to, 'libonnxruntime_providers_shared.so')), elf('shared'));
  assert.equal(existsSync(join(to, 'libonnxruntime.so')), false, 'the bundled runtime is not replaced');
  assert.equal(existsSync(join(to, 'libonnxruntime_providers_tensorrt.so')), false);
  assert.equal(statSync(join(to, 'libonnxruntime_providers_cuda.so')).mode & 0o111, 0o111);
  assert.match(r.stdout, /needs the NVIDIA driver, CUDA 12 and cuDNN 9/);
});

test('a package without the provider, or with something that is not a shared library, is refused with the reason', () => {
  const missing = join(root, 'missing.nupkg');
  writeFileSync(missing, writeStoredZip([{ name: `${native}libonnxruntime_providers_shared.so`, data: elf('shared') }]));
  const a = cli('--from', missing, '--to', join(root, 'a'));
  assert.equal(a.status, 1);
  assert.match(a.stderr, /libonnxruntime_providers_cuda\.so is missing — is this Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux/);
  const fake = join(root, 'fake.nupkg');
  writeFileSync(fake, writeStoredZip([
    { name: `${native}libonnxruntime_providers_shared.so`, data: Buffer.from('<html>error page</html>') },
    { name: `${native}libonnxruntime_providers_cuda.so`, data: elf('cuda') },
  ]));
  const b = cli('--from', fake, '--to', join(root, 'b'));
  assert.equal(b.status, 1);
  assert.match(b.stderr, /is not a Linux shared library/);
  const notZip = join(root, 'page.nupkg');
  writeFileSync(notZip, 'Not Found');
  assert.match(cli('--from', notZip, '--to', join(root, 'c')).stderr, /not a \.nupkg, or it is truncated/);
});

test('the download follows nuget.org\'s redirect, and a missing version says so', async () => {
  assert.equal(cudaProviderPackageUrl('1.30.0'), 'https://api.nuget.org/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/1.30.0/microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg');
  const body = Buffer.alloc(300_000, 7);
  const server = createServer((request, response) => {
    if (request.url === '/package') response.writeHead(302, { location: '/blob/package.nupkg' }).end();
    else if (request.url === '/blob/package.nupkg') response.writeHead(200, { 'content-length': body.length }).end(body);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const file = join(root, 'downloaded.nupkg');
    let last = 0;
    await downloadFile(`http://127.0.0.1:${port}/package`, file, (bytes) => (last = bytes));
    assert.deepEqual(readFileSync(file), body);
    assert.equal(last, body.length);
    await assert.rejects(downloadFile(`http://127.0.0.1:${port}/nothing`, join(root, 'none')), /HTTP 404 \(no such package version on nuget\.org\)/);
    assert.equal(existsSync(join(root, 'none.part')), false);
  } finally {
    server.close();
  }
});
