import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { saveManualCrop } from '../../src/dataset/manualCrop';
import { fromRaw, pixelAt, pixelsOf } from './generatedImages';
import { scratchFolder } from '../support/scratchFolder';

test('a hand crop is taken from the upright image, squared, resized and written', async () => {
  const dir = scratchFolder('es-manual-crop-');
  // Stored 200×100 with EXIF orientation 8 (rotate 90° anticlockwise to view): upright 100×200,
  // and the stored left (red) half ends up at the bottom.
  const source = join(dir, 'photo.jpg');
  await fromRaw(200, 100, (x) => (x < 100 ? [255, 0, 0] : [0, 0, 255])).jpeg({ quality: 95 }).withMetadata({ orientation: 8 }).toFile(source);
  const target = join(dir, 'crop.png');
  const square = await saveManualCrop({ source, region: { left: 10, top: 120, width: 60, height: 40 }, target, size: 64 });
  assert.deepEqual(square, { left: 10, top: 110, width: 60, height: 60 }, 'grown to 60×60 around centre (40, 140)');
  const out = await pixelsOf(target);
  assert.deepEqual([out.width, out.height], [64, 64]);
  const centre = pixelAt(out, 32, 32);
  assert.ok(centre[0] > 200 && centre[2] < 60, `bottom half of the upright image is red: ${centre}`);
  await assert.rejects(saveManualCrop({ source, region: { left: 0, top: 0, width: 0, height: 10 }, target }), /photo.jpg: the crop .* is empty/);
});
