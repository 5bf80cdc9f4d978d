// `embedding-studio train` on bad input, as a user meets it: a clear message and exit 2 before
// anything is written (a missing or damaged model, sizes no machine holds, a negative rate), the
// dataset's caption problems said before training, output piped into a reader that leaves, and
// a run resumed from its folder alone, from another directory, or after the folder was moved.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSafetensors, writeSafetensors } from '../../src/sd/safetensors';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { readEmbeddingFile, writeEmbeddingSafetensors } from '../../src/train/embeddingFile';
import { parseTrainerEvent, type TrainerEvent } from '../../src/protocol/trainerMessages';
import { clipVocabularyPath, tinyModelPath } from '../train/tinyTrainingRun';

const repo = join(__dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'es-train-inputs-'));
const data = join(root, 'data');
const main = join(repo, 'src/cli/main.ts');

// tsx by file URL: the CLI also runs from folders outside the repository
const tsx = pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
function cli(args: string[], cwd = repo) {
  return spawnSync(process.execPath, ['--import', tsx, main, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
}
const tiny = (model = tinyModelPath) => ['--model', model, '--data', data, '--tokenizer', clipVocabularyPath, '--text-heads', '4', '--unet-heads', '2', '--width', '64', '--height', '64', '--provider', 'cpu', '--name', 'inp', '--vectors', '2', '--preview-every', '0'];
const events = (stdout: string): TrainerEvent[] => stdout.trim().split('\n').map((line) => parseTrainerEvent(JSON.parse(line)));

before(async () => {
  await writeDemoDataset(data, 3, 64, 4);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('a missing or unusable model is bad input: exit 2, the reason, and no run folder left behind', () => {
  const notAModel = join(root, 'notes.safetensors');
  writeFileSync(notAModel, 'these are my notes, not a model');
  for (const [model, reason] of [[join(root, 'missing.safetensors'), /missing\.safetensors: no such file/], [notAModel, /notes\.safetensors/]] as const) {
    const out = join(root, `bad-model-${reason.source.length}`);
    const r = cli(['train', ...tiny(model), '--steps', '2', '--out', out]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, reason);
    assert.ok(!existsSync(out), 'no run folder, no run-config.json');
  }
});

test('a model with a NaN weight: model-info names the tensor (exit 1), train refuses it (exit 2) instead of blaming the learning rate', () => {
  const damaged = join(root, 'nan-model.safetensors');
  const source = openSafetensors(tinyModelPath);
  const broken = 'model.diffusion_model.out.2.weight';
  try {
    const tensors = [...source.tensors.values()].sort((a, b) => a.fileOffset - b.fileOffset).map((t) => {
      const raw = Buffer.from(source.readRaw(t.name));
      if (t.name === broken) raw.writeFloatLE(Number.NaN, 4 * 7);
      return { name: t.name, dtype: t.dtype, shape: t.shape, data: raw };
    });
    writeSafetensors(damaged, tensors, source.metadata);
  } finally {
    source.close();
  }
  const info = cli(['model-info', damaged, '--text-heads', '4', '--unet-heads', '2']);
  assert.equal(info.status, 1, info.stdout + info.stderr);
  assert.match(info.stderr, /tensor `model\.diffusion_model\.out\.2\.weight` holds a non-finite weight \(NaN at element 7\)/);
  const out = join(root, 'nan-model-run');
  const train = cli(['train', ...tiny(damaged), '--steps', '2', '--out', out]);
  assert.equal(train.status, 2, train.stderr);
  assert.match(train.stderr, /model\.diffusion_model\.out\.2\.weight` holds a non-finite weight/);
  assert.ok(!existsSync(out));

  const nanEmbedding = join(root, 'nan-embedding.safetensors');
  writeEmbeddingSafetensors(nanEmbedding, { name: 'x', vectors: new Float32Array(2 * 64).fill(Number.NaN), count: 2, width: 64, step: 0, checkpointHash: null, checkpointName: null });
  const fromNan = cli(['train', ...tiny(), '--steps', '2', '--init-embedding', nanEmbedding, '--out', join(root, 'nan-init')]);
  assert.equal(fromNan.status, 2, fromNan.stderr);
  assert.match(fromNan.stderr, /nan-embedding\.safetensors: vector 0 holds a non-finite value \(NaN at element 0\)/);
});

test('sizes: 65536×65536 and sizes this machine cannot hold are refused before anything grows', () => {
  const huge = cli(['train', ...tiny(), '--steps', '2', '--width', '65536', '--height', '65536', '--out', join(root, 'huge')]);
  assert.equal(huge.status, 2, huge.stderr);
  assert.match(huge.stderr, /width 65536 is beyond the largest training size, 2048/);
  assert.ok(!existsSync(join(root, 'huge')));
  const big = cli(['train', ...tiny(), '--steps', '2', '--width', '2048', '--height', '2048', '--batch-size', '1', '--out', join(root, 'big')]);
  assert.equal(big.status, 2, big.stderr);
  assert.match(big.stderr, /training at 2048×2048 with batch size 1 needs about [\d.]+ GB .*more than this machine's [\d.]+ GB of memory/);
  assert.ok(!existsSync(join(root, 'big')));
});

test('negative learning rates say "must be greater than 0", with or without "="; head counts name the flags', () => {
  for (const lr of [['--lr=-1'], ['--lr', '-0.1']]) {
    const r = cli(['train', ...tiny(), '--steps', '2', ...lr, '--out', join(root, 'neg')]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /the learning rate must be greater than 0, got -(1|0\.1)/);
    assert.doesNotMatch(r.stderr, /ambiguous|not a number/);
  }
  const heads = cli(['train', ...tiny().map((a) => (a === '4' ? '5' : a)), '--steps', '2', '--out', join(root, 'heads')]);
  assert.equal(heads.status, 2, heads.stderr);
  assert.match(heads.stderr, /not divisible by 5 attention heads .*--text-heads N on the command line, "textHeads" in run-config\.json/);
});

test('train says what the caption linter finds before it trains: an image without a caption, a caption past 75 tokens', async () => {
  const messy = join(root, 'messy');
  await writeDemoDataset(messy, 3, 64, 8);
  rmSync(join(messy, 'demo002.txt'));
  writeFileSync(join(messy, 'demo003.txt'), Array.from({ length: 140 }, (_, i) => `tag${i} word`).join(', '));
  const r = cli(['train', ...tiny().map((a) => (a === data ? messy : a)), '--steps', '1', '--save-every', '0', '--out', join(root, 'messy-run')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^warning: dataset .*messy: 3 images, 2 captions — caption lint: \d+ errors, [1-9]\d* warnings/m);
  assert.match(r.stdout, /^warning: demo002\.png:1:1 warning missing-caption /m);
  assert.match(r.stdout, /^warning: demo003\.txt:1:\d+ warning caption-length /m);
});

test('output piped into a reader that leaves (| true): lint and train finish, no EPIPE crash, the embedding is written', () => {
  const shell = (command: string) => spawnSync('bash', ['-c', `set -o pipefail; ${command}`], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  const quote = (args: string[]) => args.map((a) => `'${a}'`).join(' ');
  const lint = shell(`${quote([process.execPath, '--import', 'tsx', main, 'lint', data])} | true`);
  assert.doesNotMatch(lint.stderr, /EPIPE|Error|at /, lint.stderr);
  assert.ok(lint.status === 0 || lint.status === 1, `lint exited ${lint.status}`);
  const out = join(root, 'piped');
  const train = shell(`${quote([process.execPath, '--import', 'tsx', main, 'train', ...tiny(), '--steps', '3', '--out', out])} | true`);
  assert.equal(train.status, 0, train.stderr);
  assert.doesNotMatch(train.stderr, /EPIPE|Error/, train.stderr);
  assert.equal(readEmbeddingFile(join(out, 'embeddings', 'inp.safetensors')).step, 3);
});

test('a run resumes from its folder alone (--out DIR --resume), from another directory, and after the folder moved', () => {
  // started with paths relative to `root`
  const rel = (p: string) => relative(root, p);
  const first = cli(['train', '--model', rel(tinyModelPath), '--data', 'data', '--tokenizer', rel(clipVocabularyPath), '--text-heads', '4', '--unet-heads', '2', '--width', '64', '--height', '64', '--provider', 'cpu', '--name', 'rel', '--vectors', '2', '--steps', '4', '--save-every', '2', '--preview-every', '0', '--out', 'runs/rel'], root);
  assert.equal(first.status, 0, first.stderr);
  const runDir = join(root, 'runs', 'rel');
  const stored = JSON.parse(readFileSync(join(runDir, 'run-config.json'), 'utf8'));
  assert.equal(stored.model, tinyModelPath, 'paths are stored absolute');
  assert.equal(stored.data, data);
  // from the repository's folder, with nothing but the run folder and a new step count
  const more = cli(['train', '--out', runDir, '--resume', '--steps', '6', '--json']);
  assert.equal(more.status, 0, more.stderr);
  const started = events(more.stdout).find((e) => e.type === 'started');
  assert.ok(started?.type === 'started' && started.startStep === 4 && started.maxSteps === 6);
  // the run folder moved elsewhere: it still resumes, writing there
  const moved = join(root, 'moved', 'rel');
  mkdirSync(join(root, 'moved'));
  renameSync(runDir, moved);
  const again = cli(['train', '--out', moved, '--resume', '--steps', '8', '--json']);
  assert.equal(again.status, 0, again.stderr);
  const finished = events(again.stdout).find((e) => e.type === 'finished');
  assert.ok(finished?.type === 'finished' && finished.embeddingPath === join(moved, 'embeddings', 'rel.safetensors'));
  assert.equal(readEmbeddingFile(join(moved, 'embeddings', 'rel.safetensors')).step, 8);
  assert.ok(!existsSync(runDir));
});
