// `embedding-studio train` and `create-embedding` as a user runs them: a real process, exit
// codes, JSON lines that validate as TrainerEvents, files on disk.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainerEvent, type TrainerEvent } from '../../src/protocol/trainerMessages';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { writeDemoDataset } from '../../src/train/demoDataset';

const repo = join(__dirname, '../..');
const model = join(repo, '../shared/fixtures/sd1-tiny/model.safetensors');
const vocab = join(repo, '../shared/clip-vocab/bpe_simple_vocab_16e6.txt.gz');
const root = mkdtempSync(join(tmpdir(), 'cli-train-'));
const data = join(root, 'data');

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), ...args], { cwd: repo, encoding: 'utf8' });
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
