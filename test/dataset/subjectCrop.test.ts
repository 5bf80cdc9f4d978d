import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { slidingCrops } from '../../src/dataset/focalPoint';
import { preprocessImages } from '../../src/dataset/preprocess';
import { Tagger } from '../../src/dataset/tagger';
import { taggerSubjectScorer } from '../../src/dataset/taggerSubjectScorer';
import { fromRaw, near, noise, pixelAt, pixelsOf } from './generatedImages';
import { v3Like, writeTestTagger } from './testTaggerModel';
import { scratchFolder } from '../support/scratchFolder';

test('candidate crops slide along the long axis from one end to the other', () => {
  assert.deepEqual(slidingCrops(1200, 400, 1, 5).map((c) => c.left), [0, 200, 400, 600, 800]);
  assert.deepEqual(slidingCrops(300, 500, 1, 5).map((c) => [c.top, c.width, c.height]), [[0, 300, 300], [50, 300, 300], [100, 300, 300], [150, 300, 300], [200, 300, 300]]);
  assert.deepEqual(slidingCrops(400, 400, 1, 5), [{ left: 0, top: 0, width: 400, height: 400 }]);
});

test('with a tagger, the focal crop keeps the tagged subject instead of the busiest texture', async () => {
  const root = scratchFolder('es-subject-');
  const src = join(root, 'src');
  mkdirSync(src);
  // 600×400: a red subject on the left half, colour noise (mean ≈ 127) on the right half.
  // Tagged whole (padded to a white 600×600 square) the mean is ≈ (212, 127, 127): the test
  // tagger keeps red_theme (logit 0.67 → .66) and white_background (−0.5 → .38).
  // Crops are 400 wide at x = 0, 50, …, 200: at x 0 (¾ red) red_theme scores .98, at x 200
  // (¼ red) .50, so the subject says left; the noise (detail) says right.
  const random = noise(5);
  await fromRaw(600, 400, (x) => (x < 300 ? [255, 0, 0] : [random(), random(), random()])).png().toFile(join(src, 'scene.png'));
  const model = writeTestTagger(scratchFolder('es-subject-model-'), v3Like);
  const tagger = await Tagger.open(model.model, model.tags, { provider: 'cpu' });
  try {
    await preprocessImages({ sourceDir: src, destinationDir: join(root, 'detail'), crop: 'focal', width: 256, height: 256 });
    await preprocessImages({ sourceDir: src, destinationDir: join(root, 'subject'), crop: 'focal', width: 256, height: 256, subjectScorer: taggerSubjectScorer(tagger) });
  } finally {
    await tagger.release();
  }
  const detail = await pixelsOf(join(root, 'detail', 'scene.png'));
  const subject = await pixelsOf(join(root, 'subject', 'scene.png'));
  // At 256 px, crop x 0..400 is red up to output x 192; crop x 200..600 only up to x 64.
  assert.ok(!near(pixelAt(detail, 128, 128), [255, 0, 0], 40), 'without a tagger the crop goes to the noise');
  for (const [x, y] of [[2, 2], [128, 128], [180, 250]]) assert.deepEqual(pixelAt(subject, x, y), [255, 0, 0], 'with the tagger it keeps the red subject');
  assert.ok(!near(pixelAt(subject, 250, 128), [255, 0, 0], 40));
});
