// README command 1's demo, run as `npm run demo` runs it (bin/embedding-studio.js over the
// bundle, built by `npm test`), in an empty folder: what it says, what it writes, that a second
// run adds a run folder, that the "rerun it" line it prints works as printed, and that it will
// not write into a folder that is not its own.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { lintCounts, problemLines } from '../../src/cli/commands/demo';
import { runBounded } from '../support/timeLimits';

const repo = join(__dirname, '../..');
const bin = join(repo, 'bin', 'embedding-studio.js');
const cwd = mkdtempSync(join(tmpdir(), 'demo-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

// As typed in a terminal in `cwd` (INIT_CWD is what npm would set; npm test's own is dropped).
const env = { ...process.env, INIT_CWD: cwd };
const demo = (...args: string[]) => runBounded(process.execPath, [bin, 'demo', ...args], { cwd, env, encoding: 'utf8' });
const out = join(cwd, 'embedding-studio-demo');

test('demo: random tiny model, 512 px dataset, lint, training with the shipped tokenizer, and where everything is', () => {
  assert.ok(existsSync(join(repo, 'dist', 'cli.js')), 'dist/cli.js is missing: npm run build');
  const r = demo('--steps', '12');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /RANDOM weights: it shows the pipeline/);
  // the demo's own images are big enough: no image-size warning; the small dataset is explained
  assert.match(r.stdout, /^dataset: embedding-studio-demo\/dataset \(8 generated 512×512 images with captions; few, to train in seconds/m);
  assert.match(r.stdout, /^lint: +0 errors, 1 warning, 0 information, \d+ hints \(node \S+bin\/embedding-studio\.js lint embedding-studio-demo\/dataset\)$/m);
  assert.doesNotMatch(r.stdout, /image-size/);
  assert.match(r.stdout, /^ +warning dataset-size: Only 8 images/m);
  assert.match(r.stdout, /^ +hint fixed-trait \(on 8 files\): `red hair`/m);
  // the real vocabulary, found with no setting, and the random model said once, without a call to act
  assert.match(r.stdout, /info: CLIP tokenizer: \S+resources\/clip\/bpe_simple_vocab_16e6\.txt\.gz \(shipped with Embedding Studio\)/);
  assert.equal(r.stdout.match(/random weights: it cannot learn/g)?.length, 1);
  assert.doesNotMatch(r.stdout, /[Rr]oll back to/);

  const embeddingPath = join(out, 'run', 'embeddings', 'demoemb.safetensors');
  assert.match(r.stdout, /^embedding: embedding-studio-demo\/run\/embeddings\/demoemb\.safetensors/m);
  const e = readEmbeddingFile(embeddingPath);
  assert.deepEqual([e.count, e.width, e.step], [6, 64, 12]);
  assert.ok(existsSync(join(out, 'run', 'embeddings', 'demoemb.pt')));
  assert.equal(readFileSync(join(out, 'run', 'textual_inversion_loss.csv'), 'utf8').trim().split('\n').length, 13);
  assert.ok(readdirSync(join(out, 'run', 'images')).some((f) => f.endsWith('.png')));
  assert.equal(readdirSync(join(out, 'dataset')).filter((f) => f.endsWith('.txt')).length, 8);
});

test('run again: the model and dataset are reused, the run goes to run-2, and the printed rerun command works', () => {
  const r = demo('--steps', '3');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^model: +embedding-studio-demo\/model\/demo-sd1-tiny-random\.safetensors \(reused\)$/m);
  assert.match(r.stdout, /^run: +embedding-studio-demo\/run-2 /m);
  assert.ok(existsSync(join(out, 'run', 'embeddings', 'demoemb.safetensors')), 'the first run is kept');
  assert.equal(readEmbeddingFile(join(out, 'run-2', 'embeddings', 'demoemb.safetensors')).step, 3);

  const rerun = /^rerun it: +(.+)$/m.exec(r.stdout)?.[1];
  assert.ok(rerun, r.stdout);
  assert.equal(rerun, `node ${bin} train --config embedding-studio-demo/run-2/run-config.json --out embedding-studio-demo/run-3`);
  const trained = runBounded('bash', ['-c', `${rerun} --steps 2`], { cwd, env, encoding: 'utf8' });
  assert.equal(trained.status, 0, trained.stderr);
  assert.equal(readEmbeddingFile(join(out, 'run-3', 'embeddings', 'demoemb.safetensors')).step, 2);
});

test('a folder that is not the demo\'s own is refused, and left as it was', () => {
  const other = join(cwd, 'my-files');
  mkdirSync(other);
  writeFileSync(join(other, 'notes.txt'), 'mine');
  const r = demo('--out', other, '--steps', '1');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /my-files already holds files and is not a demo folder \(it has no embedding-studio-demo\.json\)/);
  assert.deepEqual(readdirSync(other), ['notes.txt']);
});

test('the lint summary: counts in the severity names, each distinct problem once, and what was left out', () => {
  const d = (severity: 'error' | 'warning' | 'information' | 'hint', code: string, message: string) => ({ severity, code, message });
  const list = [d('warning', 'a', 'x'), d('hint', 'b', 'y'), d('hint', 'b', 'y'), d('hint', 'c', 'z'), d('hint', 'c', 'w'), d('hint', 'c', 'v')];
  assert.equal(lintCounts(list), '0 errors, 1 warning, 0 information, 5 hints');
  assert.deepEqual(problemLines(list, 2), ['warning a: x', 'hint b (on 2 files): y', '(3 more: 3 c)']);
  assert.deepEqual(problemLines(list.slice(0, 1)), ['warning a: x']);
});
