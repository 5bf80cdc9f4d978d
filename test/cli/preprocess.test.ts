// The preprocess command as a user runs it: a real process, its exit code and output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBounded } from '../support/timeLimits';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { preprocessCommand } from '../../src/cli/commands/preprocess';
import { capturedRun } from './capturedRun';
import { v3Like, writeTestTagger } from '../dataset/testTaggerModel';
import { scratchFolder } from '../support/scratchFolder';

const cliEntry = join(__dirname, '../../src/cli/main.ts');
const cli = (...args: string[]) => runBounded(process.execPath, ['--import', 'tsx', cliEntry, ...args], { encoding: 'utf8' });

async function source(): Promise<{ src: string; dst: string }> {
  const root = scratchFolder('es-cli-pre-');
  const src = join(root, 'src');
  mkdirSync(src);
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#336699' } }).png().toFile(join(src, 'a.png'));
  await sharp({ create: { width: 100, height: 400, channels: 3, background: '#996633' } }).jpeg().toFile(join(src, 'b.jpg'));
  writeFileSync(join(src, 'a.txt'), '1girl, solo');
  writeFileSync(join(src, 'c.png'), 'truncated');
  return { src, dst: join(root, 'dst') };
}

test('preprocess writes the target size, reports the unreadable file and exits 1', async () => {
  const { src, dst } = await source();
  const result = cli('preprocess', src, dst, '--size', '256', '--split', '--mirror');
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stdout, /skipped .*c\.png: /);
  assert.match(result.stdout, /2 of 3 images → 12 files/);
  // b.jpg (1:4) splits into 256-px tiles: 256×1024, step ≤ 204.8 → ceil(768 / 204.8) + 1 = 5 tiles, each mirrored.
  assert.deepEqual(readdirSync(dst).sort(), [
    'a-mirrored.png', 'a-mirrored.txt', 'a.png', 'a.txt',
    'b-tile1-mirrored.png', 'b-tile1.png', 'b-tile2-mirrored.png', 'b-tile2.png',
    'b-tile3-mirrored.png', 'b-tile3.png', 'b-tile4-mirrored.png', 'b-tile4.png', 'b-tile5-mirrored.png', 'b-tile5.png',
  ]);
  const meta = await sharp(join(dst, 'b-tile3.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [256, 256]);
});

test('bad usage and refused mirroring exit 2 with the reason; existing outputs are kept', async () => {
  const { src, dst } = await source();
  const run = (...args: string[]) => capturedRun(preprocessCommand, args);
  assert.equal((await run(src)).status, 2);
  const badCrop = await run(src, dst, '--crop', 'smart');
  assert.equal(badCrop.status, 2);
  assert.match(badCrop.stderr, /--crop must be centre or focal, not 'smart'/);
  assert.match((await run(src, dst, '--size=0')).stderr, /--size must be a positive whole number/);
  writeFileSync(join(src, 'a.txt'), 'heterochromia, 1girl');
  const refused = await run(src, dst, '--mirror');
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /mirrored copies refused: .*a\.txt is tagged heterochromia — mirrored copies swap left and right/);
  const first = await run(src, dst, '--json');
  assert.equal(JSON.parse(first.stdout).processed, 2);
  const second = await run(src, dst);
  assert.match(second.stdout, /kept existing outputs of .*a\.png \(use --overwrite/);
  assert.match(second.stdout, /0 of 3 images/);
});

test('preprocess --crop focal --tagger-model keeps the tagged subject', async () => {
  const root = scratchFolder('es-cli-pre-tagger-');
  const src = join(root, 'src');
  mkdirSync(src);
  // Same scene as test/dataset/subjectCrop.test.ts: red subject left, noise right.
  let seed = 5;
  const raw = Buffer.alloc(600 * 400 * 3);
  for (let i = 0; i < 600 * 400; i++) {
    if (i % 600 < 300) raw.set([255, 0, 0], 3 * i);
    else for (let c = 0; c < 3; c++) raw[3 * i + c] = (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 24;
  }
  await sharp(raw, { raw: { width: 600, height: 400, channels: 3 } }).png().toFile(join(src, 'scene.png'));
  mkdirSync(join(root, 'model'));
  const { model } = writeTestTagger(join(root, 'model'), v3Like);
  const result = await capturedRun(preprocessCommand, [src, join(root, 'dst'), '--crop', 'focal', '--size', '256', '--tagger-model', model, '--provider', 'cpu']);
  assert.equal(result.status, 0, result.stderr);
  const { data } = await sharp(join(root, 'dst', 'scene.png')).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([...data.subarray(3 * (128 * 256 + 180), 3 * (128 * 256 + 180) + 3)], [255, 0, 0]);
});
