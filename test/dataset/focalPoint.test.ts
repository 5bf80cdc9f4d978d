import { test } from 'node:test';
import assert from 'node:assert/strict';
import { centreCrop, detailMap, focalCrop, richestWindow } from '../../src/dataset/focalPoint';
import { rawImage, noise } from './generatedImages';

test('the richest window is found by its detail sum, ties go to the centre', () => {
  const values = new Float64Array(10 * 4);
  // A hand-made map: weight 1 in columns 7 and 8, so a 3-wide window at 6 or 7 holds both.
  for (let y = 0; y < 4; y++) {
    values[y * 10 + 7] = 1;
    values[y * 10 + 8] = 1;
  }
  const best = richestWindow({ values, width: 10, height: 4 }, 3, 4);
  assert.equal(best.top, 0);
  assert.equal(best.left, 6, 'windows at 6 and 7 tie (sum 8); 6 is nearer the centre (3.5)');
  assert.deepEqual(richestWindow({ values: new Float64Array(40), width: 10, height: 4 }, 4, 4), { left: 3, top: 0 });
});

test('a flat image has no detail and a noisy patch has the most', () => {
  const random = noise(7);
  const width = 64;
  const data = rawImage(width, 32, (x, y) => (x >= 40 && x < 56 && y >= 8 && y < 24 ? [random(), random(), random()] : [120, 120, 120]));
  const map = detailMap({ data, width, height: 32 });
  assert.equal(map.values[2 * width + 2], 0, 'flat grey: no edges, zero entropy, no saturation');
  assert.ok(map.values[16 * width + 48] > 0.5);
});

test('the focal crop keeps a planted high-detail region that the centre crop cuts off', () => {
  const random = noise(42);
  const width = 1000;
  const height = 500;
  const inPatch = (x: number, y: number) => x >= 820 && x < 940 && y >= 200 && y < 320;
  const data = rawImage(width, height, (x, y) => (inPatch(x, y) ? [random(), random(), random()] : [128, 128, 128]));
  // The analysis copy is the same picture at 1/5 scale (sampled, so its patch is the same place).
  const small = rawImage(200, 100, (x, y) => {
    const i = 3 * (y * 5 * width + x * 5);
    return [data[i], data[i + 1], data[i + 2]];
  });
  const crop = focalCrop(width, height, 1, { data: small, width: 200, height: 100 });
  assert.equal(crop.width, 500);
  assert.equal(crop.height, 500);
  assert.ok(crop.left <= 820 && crop.left + crop.width >= 940, `patch 820..940 inside crop ${crop.left}..${crop.left + crop.width}`);
  const centre = centreCrop(width, height, 1);
  assert.deepEqual(centre, { left: 250, top: 0, width: 500, height: 500 });
  assert.ok(centre.left + centre.width < 820, 'the centre crop would lose the patch (the test can fail)');
});

test('crops keep the target aspect for portrait, landscape and non-square targets', () => {
  assert.deepEqual(centreCrop(300, 900, 1), { left: 0, top: 300, width: 300, height: 300 });
  assert.deepEqual(centreCrop(1920, 1080, 512 / 768), { left: 600, top: 0, width: 720, height: 1080 });
});
