// The extension host must never load onnxruntime-node (a native crash there would take the
// editor down): bundle the extension entry as the build does and look at what it pulls in.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { runBounded } from '../support/timeLimits';

const repoRoot = join(__dirname, '../..');

it('the extension bundle imports neither onnxruntime-node nor the ONNX/SD/training core', async () => {
  const result = await build({
    entryPoints: [join(repoRoot, 'src/extension/activate.ts')],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    external: ['vscode', 'onnxruntime-node', 'sharp'],
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
  assert.ok(!imports.includes('onnxruntime-node'), 'the extension host imports onnxruntime-node');
  const core = inputs.filter((p) => /(^|\/)src\/(onnx|sd)\//.test(p) || /(^|\/)src\/train\/(worker|loop)/.test(p));
  assert.deepEqual(core, [], 'the extension host bundles ONNX/SD/trainer code; run it in the trainer child process instead');
  // And it does bundle what it is made of (the test would pass vacuously otherwise).
  assert.ok(inputs.some((p) => p.endsWith('src/extension/languageClient.ts')));
});

it('the VSIX carries the CLIP vocabulary and its licence beside dist/ (vsce ls, with .vscodeignore)', () => {
  const listed = runBounded(join(repoRoot, 'node_modules', '.bin', 'vsce'), ['ls'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const files = listed.stdout.split('\n');
  for (const file of ['resources/clip/bpe_simple_vocab_16e6.txt.gz', 'resources/clip/LICENSE-CLIP.txt', 'dist/server.js', 'dist/trainer.js', 'dist/cli.js']) {
    assert.ok(files.includes(file), `${file} is not packaged:\n${listed.stdout}`);
  }
  // and nothing of the tests: the fixture stays out of the package
  assert.deepEqual(files.filter((f) => f.startsWith('test/')), []);
});
