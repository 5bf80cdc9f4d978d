// Builds the production bundle and packages the VSIX for this machine's platform
// (`vsce package --target`): sharp and onnxruntime-node are native, so the VSIX carries the
// binaries of one platform only (onnxruntime-node ships all of them: ~290 MB, ~45 MB for one).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const platform = process.platform;
const arch = process.arch;
const targets = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'win32-x64': 'win32-x64', 'win32-arm64': 'win32-arm64', 'darwin-arm64': 'darwin-arm64' };
const target = targets[`${platform}-${arch}`];
if (!target) {
  console.error(`package: no onnxruntime-node binaries for ${platform}-${arch}; supported: ${Object.keys(targets).join(', ')}`);
  process.exit(2);
}
const run = (command, args) => {
  const result = spawnSync(command, args, { stdio: 'inherit', shell: platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run(process.execPath, ['scripts/build.mjs', '--production']);

const dir = mkdtempSync(join(tmpdir(), 'embedding-studio-package-'));
const ignoreFile = join(dir, 'vscodeignore');
writeFileSync(
  ignoreFile,
  `${readFileSync('.vscodeignore', 'utf8')}\n# this platform's ONNX Runtime binaries only\n!node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}/**\n`,
);
const out = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? 'embedding-studio.vsix';
try {
  run(join('node_modules', '.bin', platform === 'win32' ? 'vsce.cmd' : 'vsce'), [
    'package', '--target', target, '--ignoreFile', ignoreFile, '--allow-missing-repository', '--out', out,
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
