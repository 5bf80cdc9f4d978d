import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOversized, keptFraction, planTiles, tileOffsets } from '../../src/dataset/imageTiles';

test('tile offsets cover the length end to end with at least the requested overlap', () => {
  // 1536 long, 512 tiles, 20 % overlap: step ≤ 409.6, so ceil(1024 / 409.6) + 1 = 4 tiles, spread evenly.
  assert.deepEqual(tileOffsets(1536, 512, 0.2), [0, 341, 683, 1024]);
  assert.deepEqual(tileOffsets(512, 512, 0.2), [0]);
  assert.deepEqual(tileOffsets(400, 512, 0.2), [0]);
  // 1024 long: step 409.6 → ceil(512 / 409.6) + 1 = 3 tiles: 0, 256, 512.
  assert.deepEqual(tileOffsets(1024, 512, 0.2), [0, 256, 512]);
});

test('an image is oversized when one crop keeps at most the threshold of its long side', () => {
  assert.equal(keptFraction(300, 900, 512, 512), 1 / 3);
  assert.equal(keptFraction(1000, 500, 512, 512), 0.5);
  assert.equal(isOversized(300, 900, 512, 512, { threshold: 0.5, overlapRatio: 0.2 }), true);
  assert.equal(isOversized(1000, 500, 512, 512, { threshold: 0.5, overlapRatio: 0.2 }), true);
  assert.equal(isOversized(1000, 600, 512, 512, { threshold: 0.5, overlapRatio: 0.2 }), false);
});

test('the tile plan scales the short side to the target and tiles the long side', () => {
  const plan = planTiles(300, 900, 512, 512, 0.2);
  assert.equal(plan.scaledWidth, 512);
  assert.equal(plan.scaledHeight, 1536);
  assert.deepEqual(plan.tiles.map((t) => t.top), [0, 341, 683, 1024]);
  assert.ok(plan.tiles.every((t) => t.left === 0 && t.width === 512 && t.height === 512));
});
