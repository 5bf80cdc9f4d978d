import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBounded } from '../support/timeLimits';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { tagCommand } from '../../src/cli/commands/tag';
import { capturedRun } from './capturedRun';
import { v2Like, writeTestTagger } from '../dataset/testTaggerModel';
import { scratchFolder } from '../support/scratchFolder';

const cliEntry = join(__dirname, '../../src/cli/main.ts');

async function setup(): Promise<{ data: string; model: string; tags: string }> {
  const root = scratchFolder('es-cli-tag-');
  const data = join(root, 'data');
  mkdirSync(data);
  mkdirSync(join(root, 'model'));
  const { model, tags } = writeTestTagger(join(root, 'model'), v2Like);
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).png().toFile(join(data, 'red.png'));
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } }).png().toFile(join(data, 'white.png'));
  writeFileSync(join(data, 'white.txt'), 'mychar, white background\n');
  return { data, model, tags };
}

test('tag (real process): new captions for uncaptioned images, tags file found beside the model', async () => {
  const { data, model } = await setup();
  const result = runBounded(process.execPath, ['--import', 'tsx', cliEntry, 'tag', data, '--model', model, '--provider', 'cpu', '--first', 'mychar'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /tagger: 448×448, batch 1, 11 tags, on cpu/);
  assert.match(result.stdout, /unchanged .*white\.png: white\.txt exists \(kept/);
  assert.match(result.stdout, /2 images tagged, 1 captions written/);
  assert.equal(readFileSync(join(data, 'red.txt'), 'utf8'), 'mychar, red theme, hakurei reimu');
  assert.equal(readFileSync(join(data, 'white.txt'), 'utf8'), 'mychar, white background\n');
});

test('tag --mode diff shows the change and writes nothing; append then writes it', async () => {
  const { data, model, tags } = await setup();
  const run = (...args: string[]) => capturedRun(tagCommand, [data, '--model', model, '--tags', tags, '--provider', 'cpu', ...args]);
  const diff = await run('--mode', 'diff', '--include-rating');
  assert.equal(diff.status, 0, diff.stderr);
  assert.ok(diff.stdout.includes(`--- ${join(data, 'white.txt')}\n+++ ${join(data, 'white.txt')}\n-mychar, white background\n+mychar, white background, general, ^_^\n`), diff.stdout);
  assert.ok(diff.stdout.includes(`--- /dev/null\n+++ ${join(data, 'red.txt')}\n+red theme, hakurei reimu, sensitive\n`), diff.stdout);
  assert.match(diff.stdout, /2 captions would change \(nothing written\)/);
  assert.equal(existsSync(join(data, 'red.txt')), false);
  const append = await run('--mode', 'append', '--exclude', 'hakurei_reimu', '--extension', '.txt');
  assert.equal(append.status, 0);
  assert.equal(readFileSync(join(data, 'white.txt'), 'utf8'), 'mychar, white background, ^_^\n');
  assert.equal(readFileSync(join(data, 'red.txt'), 'utf8'), 'red theme');
  const preview = await run('--mode', 'new', '--replace', '--diff');
  assert.match(preview.stdout, /\+red theme, hakurei reimu\n/);
  assert.equal(readFileSync(join(data, 'red.txt'), 'utf8'), 'red theme');
  const json = JSON.parse((await run('--mode', 'diff', '--json', '--general-threshold', '0.999', '--character-threshold', '0.999')).stdout);
  assert.deepEqual(json.images.map((i: { tags: string[] }) => i.tags), [[], []]);
  assert.equal(json.model.fixedBatch, 1);
});

test('tag: bad usage and unreadable inputs exit 2 with the way out', async () => {
  const { data, model } = await setup();
  const run = (...args: string[]) => capturedRun(tagCommand, args);
  assert.match((await run(data)).stderr, /--model is required/);
  assert.match((await run(data, '--model', model, '--mode', 'replace')).stderr, /--mode must be new, append or diff/);
  assert.match((await run(data, '--model', model, '--general-threshold', '2')).stderr, /between 0 and 1/);
  const missingTags = await run(data, '--model', model, '--tags', join(data, 'nope.csv'), '--provider', 'cpu');
  assert.equal(missingTags.status, 2);
  assert.match(missingTags.stderr, /nope\.csv: cannot read the tag list \(ENOENT\)/);
  assert.match((await run(join(data, 'missing'), '--model', model)).stderr, /cannot read the dataset folder/);
});
