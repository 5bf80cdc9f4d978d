import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTargetedCrops, squareAround } from '../../src/dataset/targetedCrops';
import { fromRaw, near, noise, pixelAt, pixelsOf } from './generatedImages';
import { scratchFolder } from '../support/scratchFolder';

test('a region grows to a square around its centre and stays inside the image', () => {
  assert.deepEqual(squareAround({ left: 100, top: 100, width: 40, height: 20 }, 400, 300), { left: 100, top: 90, width: 40, height: 40 });
  assert.deepEqual(squareAround({ left: 380, top: 0, width: 40, height: 10 }, 400, 300), { left: 360, top: 0, width: 40, height: 40 });
  assert.deepEqual(squareAround({ left: 0, top: 0, width: 500, height: 50 }, 400, 300), { left: 100, top: 0, width: 300, height: 300 }, 'centre x 250, side 300');
});

test('detail crops: automatic square holds the planted detail; given regions are used; caption written; nothing overwritten', async () => {
  const root = scratchFolder('es-targeted-');
  const random = noise(9);
  // 600×400 flat grey with a 100×100 noise "eye" at (430..530, 60..160).
  const inEye = (x: number, y: number) => x >= 430 && x < 530 && y >= 60 && y < 160;
  const face = join(root, 'face.png');
  await fromRaw(600, 400, (x, y) => (inEye(x, y) ? [random(), random(), random()] : [128, 128, 128])).png().toFile(face);
  const halves = join(root, 'halves.png');
  await fromRaw(400, 400, (x) => (x < 200 ? [255, 0, 0] : [0, 0, 255])).png().toFile(halves);
  const dst = join(root, 'eyes');
  const report = await makeTargetedCrops({
    sources: [{ image: face }, { image: halves, regions: [{ left: 0, top: 0, width: 100, height: 100 }, { left: 300, top: 300, width: 100, height: 60 }] }],
    destinationDir: dst,
    size: 256,
    caption: 'star-shaped pupils, eye focus',
  });
  assert.deepEqual(report.failed, []);
  assert.deepEqual(readdirSync(dst).sort(), ['face-detail.png', 'face-detail.txt', 'halves-detail1.png', 'halves-detail1.txt', 'halves-detail2.png', 'halves-detail2.txt']);
  // Auto square: 0.35 × 400 = 140 px, must contain the whole 100×100 patch: ≥ 100² of 140² pixels non-grey.
  const eye = await pixelsOf(join(dst, 'face-detail.png'));
  assert.deepEqual([eye.width, eye.height], [256, 256]);
  let detailed = 0;
  for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) if (!near(pixelAt(eye, x, y), [128, 128, 128], 10)) detailed++;
  const patchShare = (100 * 100) / (140 * 140);
  assert.ok(detailed / (256 * 256) >= patchShare * 0.95, `detail share ${detailed / 65536} vs ${patchShare}`);
  assert.deepEqual(pixelAt(await pixelsOf(join(dst, 'halves-detail1.png')), 128, 128), [255, 0, 0]);
  assert.deepEqual(pixelAt(await pixelsOf(join(dst, 'halves-detail2.png')), 128, 128), [0, 0, 255]);
  assert.equal(readFileSync(join(dst, 'halves-detail2.txt'), 'utf8'), 'star-shaped pupils, eye focus');

  writeFileSync(join(dst, 'face-detail.png'), 'mine');
  const again = await makeTargetedCrops({ sources: [{ image: face }, { image: join(root, 'gone.png') }], destinationDir: dst });
  assert.equal(readFileSync(join(dst, 'face-detail.png'), 'utf8'), 'mine');
  assert.deepEqual(again.notOverwritten, [face]);
  assert.equal(again.failed.length, 1);
  assert.match(again.failed[0].reason, /gone\.png|missing|exist/i);
});
