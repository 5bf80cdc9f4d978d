import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { taggerInput } from '../../src/dataset/taggerPreprocessing';
import { pilBicubicResize } from './pilBicubicReference';

test('pads to a centred white square, BGR order, 0–255 floats with no normalisation', async () => {
  // 6 wide × 4 tall: rows 0..3 hold (10·x, 20·y, 200) in RGB. The square is 6×6 with one white
  // row above and below, and the model size is 6, so no resampling happens.
  const raw = Buffer.alloc(6 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 6; x++) raw.set([10 * x, 20 * y, 200], 3 * (y * 6 + x));
  const png = await sharp(raw, { raw: { width: 6, height: 4, channels: 3 } }).png().toBuffer();
  const input = await taggerInput(png, 6);
  assert.equal(input.length, 6 * 6 * 3);
  const at = (x: number, y: number) => Array.from(input.subarray(3 * (y * 6 + x), 3 * (y * 6 + x) + 3));
  assert.deepEqual(at(0, 0), [255, 255, 255], 'padding is white');
  assert.deepEqual(at(5, 5), [255, 255, 255]);
  assert.deepEqual(at(3, 1), [200, 0, 30], 'image row 0 lands on row 1; B, G, R order');
  assert.deepEqual(at(5, 4), [200, 60, 50]);
});

test('a tall image is padded left and right (odd padding puts the extra column on the right)', async () => {
  const raw = Buffer.alloc(3 * 6 * 3, 0); // black 3×6
  const input = await taggerInput(await sharp(raw, { raw: { width: 3, height: 6, channels: 3 } }).png().toBuffer(), 6);
  const column = (x: number) => input[3 * (2 * 6 + x)];
  // side 6, width 3 → left pad floor(3/2) = 1, right pad 2: columns 1..3 are the image.
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(column), [255, 0, 0, 0, 255, 255]);
});

test('transparency is composited on white, partial alpha blended', async () => {
  const rgba = Buffer.from([255, 0, 0, 0, 255, 0, 0, 128, 255, 0, 0, 255, 0, 0, 255, 255]); // 2×2
  const input = await taggerInput(await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer(), 2);
  assert.deepEqual(Array.from(input.subarray(0, 3)), [255, 255, 255], 'fully transparent red → white');
  const half = Array.from(input.subarray(3, 6)); // red over white at alpha 128/255: G = B = 255·127/255
  assert.equal(half[2], 255);
  assert.ok(Math.abs(half[0] - 127) <= 1 && Math.abs(half[1] - 127) <= 1, `half-transparent: ${half}`);
  assert.deepEqual(Array.from(input.subarray(9, 12)), [255, 0, 0], 'opaque blue in BGR');
});

test('bicubic resize to the model size keeps flat colours exact and the mean colour', async () => {
  const flat = await taggerInput(await sharp({ create: { width: 900, height: 900, channels: 3, background: { r: 12, g: 34, b: 56 } } }).png().toBuffer(), 448);
  assert.equal(flat.length, 448 * 448 * 3);
  assert.ok(flat.every((v, i) => v === [56, 34, 12][i % 3]));
  // Left half black, right half white: the mean stays 127.5 through padding-free resizing.
  const raw = Buffer.alloc(300 * 300 * 3);
  for (let y = 0; y < 300; y++) for (let x = 150; x < 300; x++) raw.fill(255, 3 * (y * 300 + x), 3 * (y * 300 + x) + 3);
  const halves = await taggerInput(await sharp(raw, { raw: { width: 300, height: 300, channels: 3 } }).png().toBuffer(), 64);
  const mean = halves.reduce((s, v) => s + v, 0) / halves.length;
  assert.ok(Math.abs(mean - 127.5) < 1, `mean ${mean}`);
  assert.equal(halves[3 * (10 * 64 + 5)], 0);
  assert.equal(halves[3 * (10 * 64 + 60)], 255);
});

test('the resize matches an independent transcription of Pillow BICUBIC (down, exact 3×, and up)', async () => {
  const width = 300;
  const raw = new Uint8Array(width * width * 3);
  for (let y = 0; y < width; y++)
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      raw[i] = Math.floor((x * 255) / width);
      raw[i + 1] = ((x >> 4) + (y >> 4)) % 2 ? 220 : 30; // hard edges: where resamplers disagree most
      raw[i + 2] = Math.round(127 + 120 * Math.sin(x / 7) * Math.cos(y / 11));
    }
  const png = await sharp(Buffer.from(raw), { raw: { width, height: width, channels: 3 } }).png().toBuffer();
  for (const size of [64, 100, 448]) {
    const ours = await taggerInput(png, size);
    const reference = pilBicubicResize(raw, width, width, size, size);
    let worst = 0;
    for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(ours[3 * i + (2 - c)] - reference[3 * i + c]));
    // The reference rounds floats; ours uses Pillow's 22-bit fixed point: at most one level apart.
    assert.ok(worst <= 1, `size ${size}: worst difference ${worst}`);
  }
});
