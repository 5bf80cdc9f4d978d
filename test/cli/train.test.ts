// `embedding-studio train` and `create-embedding` as a user runs them: a real process, exit
// codes, JSON lines that validate as TrainerEvents, files on disk.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { formatEvent } from '../../src/cli/commands/train';
import { runBounded } from '../support/timeLimits';
import { join } from 'node:path';
import { parseTrainerEvent, type TrainerEvent } from '../../src/protocol/trainerMessages';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { scratchFolder } from '../support/scratchFolder';

const repo = join(__dirname, '../..');
const model = join(repo, 'test/fixtures/sd1-tiny/model.safetensors');
const vocab = join(repo, 'resources/clip/bpe_simple_vocab_16e6.txt.gz');
const root = scratchFolder('cli-train-');
const data = join(root, 'data');

function cli(...args: string[]) {
  return runBounded(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), ...args], { cwd: repo, encoding: 'utf8' });
}

const tiny = ['--model', model, '--data', data, '--tokenizer', vocab, '--text-heads', '4', '--unet-heads', '2', '--width', '64', '--height', '64', '--provider', 'cpu'];

before(async () => {
  await writeDemoDataset(data, 3, 64, 9);
});

test('train --json: events are valid TrainerEvents, the embedding is written with emb_params [vectors, width]', () => {
  const out = join(root, 'run');
  const r = cli('train', ...tiny, '--name', 'clitest', '--vectors', '2', '--steps', '6', '--save-every', '3', '--preview-every', '6', '--preview-steps', '3', '--sampler', 'ddim', '--out', out, '--json', '--seed', '5');
  assert.equal(r.status, 0, r.stderr);
  const events: TrainerEvent[] = r.stdout.trim().split('\n').map((line) => parseTrainerEvent(JSON.parse(line)));
  const types = events.map((e) => e.type);
  assert.ok(types.includes('started') && types.includes('finished'), types.join(','));
  assert.equal(events.filter((e) => e.type === 'progress').length, 6);
  const preview = events.find((e) => e.type === 'preview');
  assert.ok(preview && preview.type === 'preview' && preview.sampler === 'DDIM' && preview.samplingSteps === 3);
  const finished = events.find((e) => e.type === 'finished');
  assert.ok(finished && finished.type === 'finished' && finished.reason === 'completed' && finished.embeddingPath);
  const embedding = readEmbeddingFile(finished.embeddingPath!);
  assert.deepEqual([embedding.count, embedding.width, embedding.step], [2, 64, 6]);
  assert.equal(JSON.parse(readFileSync(join(out, 'run-config.json'), 'utf8')).name, 'clitest');
});

test('train: bad usage and bad input exit 2 with the reason', () => {
  const unknown = cli('train', '--frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /frobnicate/);
  const badNumber = cli('train', ...tiny, '--name', 'x', '--steps', 'many');
  assert.equal(badNumber.status, 2);
  assert.match(badNumber.stderr, /--steps expects a number, got "many"/);
  const badSchedule = cli('train', ...tiny, '--name', 'x', '--lr', '0.005:100, oops', '--out', join(root, 'bad'));
  assert.equal(badSchedule.status, 2);
  assert.match(badSchedule.stderr, /character 12: "oops" is not a number/);
  const missing = cli('train', ...tiny.map((a) => (a === data ? join(root, 'nope') : a)), '--name', 'x', '--out', join(root, 'missing'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nope: cannot read the dataset folder/);
  const tooMany = cli('train', ...tiny, '--name', 'x', '--vectors', '61', '--out', join(root, 'many'));
  assert.equal(tooMany.status, 2);
  assert.match(tooMany.stderr, /61 vectors per token is refused/);
});

test('create-embedding writes emb_params from the init text and refuses to overwrite', () => {
  const out = join(root, 'created');
  const args = ['create-embedding', '--model', model, '--tokenizer', vocab, '--name', 'made', '--vectors', '3', '--init-text', 'blue eyes', '--out', out];
  const r = cli(...args);
  assert.equal(r.status, 0, r.stderr);
  const e = readEmbeddingFile(join(out, 'made.safetensors'));
  assert.deepEqual([e.count, e.width, e.step], [3, 64, 0]);
  const again = cli(...args);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists.*--overwrite/);
  assert.equal(cli(...args, '--overwrite').status, 0);
});

// A learning rate past float32's range (3.4e38) turns the vectors into ±Infinity after one AdamW
// step: the update is caught as an explosion, undone, and the run ends as diverged — where it
// used to go on to a NaN loss at step 2 (or, at 1e30, write an embedding of ±1.7e30 and exit 0).
test('train with an absurd learning rate: warned at the start, the exploding update undone, diverged at step 1, no embedding, exit 1', () => {
  for (const rate of ['1e39', '1e30']) {
    const args = [...tiny, '--name', 'nantest', '--vectors', '2', '--steps', '4', '--save-every', '0', '--preview-every', '0', '--seed', '5', '--lr', rate];
    const jsonOut = join(root, `explode-json-${rate}`);
    const r = cli('train', ...args, '--out', jsonOut, '--json');
    assert.equal(r.status, 1, r.stderr);
    const events: TrainerEvent[] = r.stdout.trim().split('\n').map((line) => parseTrainerEvent(JSON.parse(line)));
    const warning = events.find((e) => e.type === 'log' && e.level === 'warning' && /learnRate: learning rate .* is far above/.test(e.message));
    assert.ok(warning, 'a warning before training');
    const progress = events.filter((e): e is Extract<TrainerEvent, { type: 'progress' }> => e.type === 'progress');
    assert.deepEqual(progress.map((p) => p.step), [1]);
    const guidance = events.find((e) => e.type === 'guidance');
    assert.ok(guidance && guidance.type === 'guidance' && guidance.kind === 'diverged' && guidance.step === 1, JSON.stringify(guidance));
    assert.match(guidance.message, /the update of step 1 made the embedding explode .*this step was skipped/);
    assert.match(guidance.message, /restart with the learning rate lowered to 0.005/);
    const finished = events.at(-1);
    assert.deepEqual(finished?.type === 'finished' && [finished.reason, finished.step, finished.embeddingPath], ['diverged', 1, null]);
    assert.ok(!existsSync(join(jsonOut, 'embeddings', 'nantest.safetensors')));
    // --csv-every is 500 (A1111's default): the only row is the step that was undone, the rate as
    // Python writes it (str(1e39) == '1e+39')
    const csv = readFileSync(join(jsonOut, 'textual_inversion_loss.csv'), 'utf8').split('\r\n');
    assert.equal(csv.length, 3);
    assert.match(csv[1], new RegExp(`^1,0,0,\\d+\\.\\d{7},${rate.replace('e', 'e\\+')}$`));
  }
  const text = cli('train', ...tiny, '--name', 'nantest', '--vectors', '2', '--steps', '4', '--save-every', '0', '--preview-every', '0', '--lr', '1e39', '--out', join(root, 'explode-text'));
  assert.equal(text.status, 1, text.stderr);
  assert.match(text.stdout, /^\[diverged\] the update of step 1 made the embedding explode/m);
  assert.match(text.stdout, /^finished \(diverged\) at step 1; embedding none/m);
});

test('a step whose loss is not finite prints "loss nan" (JSON has null)', () => {
  const line = formatEvent({ type: 'progress', step: 2, epoch: 0, epochStep: 1, loss: null, lossAverage: 0.25, learningRate: 1e39, stepsPerSecond: 3, etaSeconds: null, memory: { rssBytes: 1, peakRssBytes: 1 } });
  assert.match(line!, /^step 2 epoch 0 loss nan avg 0.2500 lr 1e\+39 /);
});
