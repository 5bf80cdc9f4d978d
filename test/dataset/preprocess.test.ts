import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { preprocessImages } from '../../src/dataset/preprocess';
import { MirrorRefusedError } from '../../src/dataset/mirrorPolicy';
import { fromRaw, near, noise, pixelAt, pixelsOf, type Rgb } from './generatedImages';
import { scratchFolder } from '../support/scratchFolder';

const red: Rgb = [255, 0, 0];
const blue: Rgb = [0, 0, 255];
const white: Rgb = [255, 255, 255];
const grey: Rgb = [128, 128, 128];

function freshDirs(): { src: string; dst: string } {
  const root = scratchFolder('es-preprocess-');
  const src = join(root, 'src');
  mkdirSync(src);
  return { src, dst: join(root, 'dst') };
}

test('centre crop: exact size, and a circle stays a circle (no distortion)', async () => {
  const { src, dst } = freshDirs();
  // 800×400, a red disc of radius 150 at the centre: the crop keeps x 200..600 and scales by 1.28.
  await fromRaw(800, 400, (x, y) => ((x - 400) ** 2 + (y - 200) ** 2 <= 150 ** 2 ? red : white)).png().toFile(join(src, 'disc.png'));
  const report = await preprocessImages({ sourceDir: src, destinationDir: dst });
  assert.deepEqual(report.written, [join(dst, 'disc.png')]);
  const out = await pixelsOf(join(dst, 'disc.png'));
  assert.equal(out.width, 512);
  assert.equal(out.height, 512);
  let minX = 512, maxX = 0, minY = 512, maxY = 0;
  for (let y = 0; y < 512; y++)
    for (let x = 0; x < 512; x++)
      if (near(pixelAt(out, x, y), red, 60)) {
        minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      }
  const expectedDiameter = 2 * 150 * 1.28; // 384
  assert.ok(Math.abs(maxX - minX + 1 - expectedDiameter) <= 3, `width ${maxX - minX + 1}`);
  assert.ok(Math.abs(maxY - minY + 1 - expectedDiameter) <= 3, `height ${maxY - minY + 1}`);
  assert.ok(Math.abs((minX + maxX) / 2 - 255.5) <= 1.5);
});

test('focal crop keeps a planted high-detail patch that a centre crop loses', async () => {
  const { src, dst } = freshDirs();
  const random = noise(3);
  const inPatch = (x: number, y: number) => x >= 860 && x < 990 && y >= 100 && y < 230;
  await fromRaw(1024, 512, (x, y) => (inPatch(x, y) ? [random(), random(), random()] : grey)).png().toFile(join(src, 'patch.png'));
  const countNonGrey = async (file: string) => {
    const out = await pixelsOf(file);
    let n = 0;
    for (let y = 0; y < out.height; y++) for (let x = 0; x < out.width; x++) if (!near(pixelAt(out, x, y), grey, 12)) n++;
    return n;
  };
  await preprocessImages({ sourceDir: src, destinationDir: join(dst, 'focal'), crop: 'focal' });
  await preprocessImages({ sourceDir: src, destinationDir: join(dst, 'centre'), crop: 'centre' });
  // Scale is 1 (512 tall), so the whole 130×130 patch survives only if the crop holds it all.
  const focal = await countNonGrey(join(dst, 'focal', 'patch.png'));
  assert.ok(focal >= 130 * 130 * 0.97, `focal crop kept ${focal} detail pixels`);
  assert.ok(focal <= 130 * 130 + 4 * 130 + 8, 'lanczos ringing stays at the patch border');
  assert.equal(await countNonGrey(join(dst, 'centre', 'patch.png')), 0);
});

test('oversized images are split into overlapping target-size tiles in order', async () => {
  const { src, dst } = freshDirs();
  // 300×900, red top third, blue bottom third: 512×1536 after scaling, tiles at 0, 341, 683, 1024.
  await fromRaw(300, 900, (_, y) => (y < 300 ? red : y >= 600 ? blue : white)).png().toFile(join(src, 'tall.png'));
  writeFileSync(join(src, 'tall.txt'), '1girl, standing');
  const report = await preprocessImages({ sourceDir: src, destinationDir: dst, split: true });
  assert.deepEqual(readdirSync(dst).sort(), ['tall-tile1.png', 'tall-tile1.txt', 'tall-tile2.png', 'tall-tile2.txt', 'tall-tile3.png', 'tall-tile3.txt', 'tall-tile4.png', 'tall-tile4.txt']);
  assert.equal(report.captionsCopied.length, 4);
  for (let i = 1; i <= 4; i++) {
    const tile = await pixelsOf(join(dst, `tall-tile${i}.png`));
    assert.equal(tile.width, 512);
    assert.equal(tile.height, 512);
  }
  const first = await pixelsOf(join(dst, 'tall-tile1.png'));
  const last = await pixelsOf(join(dst, 'tall-tile4.png'));
  assert.ok(near(pixelAt(first, 256, 0), red, 4) && near(pixelAt(first, 256, 500), red, 4), 'tile 1 is scaled y 0..512: the red third');
  assert.ok(near(pixelAt(last, 256, 12), blue, 4) && near(pixelAt(last, 256, 511), blue, 4), 'tile 4 is scaled y 1024..1536: the blue third');
  // Tile 3 starts at scaled y 683: white until scaled 1024 (row 341), then blue.
  const third = await pixelsOf(join(dst, 'tall-tile3.png'));
  assert.ok(near(pixelAt(third, 256, 300), white, 4) && near(pixelAt(third, 256, 380), blue, 4));
  // Tile 2 starts at scaled y 341: the red/white edge (scaled y 512) sits at row 171.
  const second = await pixelsOf(join(dst, 'tall-tile2.png'));
  assert.ok(near(pixelAt(second, 256, 165), red, 8) && near(pixelAt(second, 256, 177), white, 8));
  assert.equal(readFileSync(join(dst, 'tall-tile3.txt'), 'utf8'), '1girl, standing');
});

test('mirrored copies are flipped left to right and carry the caption', async () => {
  const { src, dst } = freshDirs();
  await fromRaw(512, 512, (x) => (x < 256 ? red : blue)).png().toFile(join(src, 'halves.png'));
  writeFileSync(join(src, 'halves.txt'), '1girl, red eyes');
  const report = await preprocessImages({ sourceDir: src, destinationDir: dst, mirror: true });
  assert.deepEqual(report.written, [join(dst, 'halves-mirrored.png'), join(dst, 'halves.png')]);
  const original = await pixelsOf(join(dst, 'halves.png'));
  const mirrored = await pixelsOf(join(dst, 'halves-mirrored.png'));
  assert.deepEqual(pixelAt(original, 10, 10), red);
  assert.deepEqual(pixelAt(mirrored, 10, 10), blue);
  assert.deepEqual(pixelAt(mirrored, 500, 300), red);
  assert.equal(readFileSync(join(dst, 'halves-mirrored.txt'), 'utf8'), '1girl, red eyes');
});

test('mirroring is refused, writing nothing, when a caption or tagger result says heterochromia', async () => {
  const { src, dst } = freshDirs();
  await fromRaw(64, 64, () => red).png().toFile(join(src, 'a.png'));
  await fromRaw(64, 64, () => blue).png().toFile(join(src, 'b.png'));
  writeFileSync(join(src, 'b.txt'), '1girl, Heterochromia, blue eyes');
  await assert.rejects(preprocessImages({ sourceDir: src, destinationDir: dst, mirror: true }), (error: unknown) => {
    assert.ok(error instanceof MirrorRefusedError);
    assert.deepEqual(error.files, [join(src, 'b.txt')]);
    assert.match(error.message, /swap left and right/);
    assert.match(error.message, /without mirroring/);
    return true;
  });
  assert.throws(() => readdirSync(dst), /ENOENT/);
  writeFileSync(join(src, 'b.txt'), '1girl, blue eyes');
  await assert.rejects(
    preprocessImages({ sourceDir: src, destinationDir: dst, mirror: true, taggerResults: [{ file: join(src, 'a.png'), text: 'heterochromia_(left)' }] }),
    MirrorRefusedError,
  );
  const report = await preprocessImages({ sourceDir: src, destinationDir: dst, mirror: true });
  assert.equal(report.written.length, 4);
});

test('existing outputs are never overwritten unless the policy allows it, and it is asked once', async () => {
  const { src, dst } = freshDirs();
  await fromRaw(64, 64, () => red).png().toFile(join(src, 'a.png'));
  await fromRaw(64, 64, () => blue).png().toFile(join(src, 'b.png'));
  mkdirSync(dst);
  writeFileSync(join(dst, 'a.png'), 'precious');
  const report = await preprocessImages({ sourceDir: src, destinationDir: dst });
  assert.equal(readFileSync(join(dst, 'a.png'), 'utf8'), 'precious');
  assert.deepEqual(report.notOverwritten, [join(src, 'a.png')]);
  assert.deepEqual(report.written, [join(dst, 'b.png')]);

  const asked: string[][] = [];
  await preprocessImages({ sourceDir: src, destinationDir: dst, overwrite: (files) => (asked.push(files), false) });
  assert.deepEqual(asked, [[join(dst, 'a.png'), join(dst, 'b.png')]]);
  assert.equal(readFileSync(join(dst, 'a.png'), 'utf8'), 'precious');

  await preprocessImages({ sourceDir: src, destinationDir: dst, overwrite: async () => true });
  assert.equal((await pixelsOf(join(dst, 'a.png'))).width, 512);
  await assert.rejects(preprocessImages({ sourceDir: src, destinationDir: src }), /destination is the source folder/);
});

test('formats: alpha flattened on the chosen colour, EXIF rotation, WebP, GIF first frame, CMYK, 16-bit', async () => {
  const { src, dst } = freshDirs();
  // Transparent 100×100 PNG with an opaque red 20×20 square in the middle.
  const rgba = Buffer.alloc(100 * 100 * 4);
  for (let y = 40; y < 60; y++) for (let x = 40; x < 60; x++) rgba.set([255, 0, 0, 255], 4 * (y * 100 + x));
  await sharp(rgba, { raw: { width: 100, height: 100, channels: 4 } }).png().toFile(join(src, 'alpha.png'));
  // Stored 400×200, left red / right blue, EXIF orientation 6 (rotate 90° clockwise to view):
  // upright it is 200×400 with red on top.
  await fromRaw(400, 200, (x) => (x < 200 ? red : blue)).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(join(src, 'rotated.jpg'));
  await fromRaw(300, 300, () => blue).webp({ lossless: true }).toFile(join(src, 'pic.webp'));
  const frames = Buffer.alloc(2 * 50 * 50 * 4);
  for (let i = 0; i < 50 * 50; i++) {
    frames.set([255, 0, 0, 255], 4 * i); // frame 1 red
    frames.set([0, 0, 255, 255], 4 * (50 * 50 + i)); // frame 2 blue
  }
  await sharp(frames, { raw: { width: 50, height: 100, channels: 4, pageHeight: 50 } }).gif().toFile(join(src, 'anim.gif'));
  await fromRaw(64, 64, () => [40, 90, 160]).toColourspace('cmyk').jpeg({ quality: 95 }).toFile(join(src, 'print.jpg'));
  await fromRaw(64, 64, () => [200, 100, 50]).toColourspace('rgb16').png().toFile(join(src, 'deep.png'));
  assert.equal((await sharp(join(src, 'print.jpg')).metadata()).space, 'cmyk');
  assert.equal((await sharp(join(src, 'deep.png')).metadata()).depth, 'ushort');
  assert.equal((await sharp(join(src, 'anim.gif')).metadata()).pages, 2);

  const report = await preprocessImages({ sourceDir: src, destinationDir: dst, background: '#00ff00' });
  assert.deepEqual(report.failed, []);
  assert.equal(report.processed, 6);
  for (const file of report.written) {
    const out = await pixelsOf(file);
    assert.deepEqual([out.width, out.height, out.channels], [512, 512, 3], file);
  }
  const alpha = await pixelsOf(join(dst, 'alpha.png'));
  assert.deepEqual(pixelAt(alpha, 5, 5), [0, 255, 0]);
  assert.deepEqual(pixelAt(alpha, 256, 256), [255, 0, 0]);
  const rotated = await pixelsOf(join(dst, 'rotated.png'));
  assert.ok(near(pixelAt(rotated, 256, 20), red, 30), `top is red: ${pixelAt(rotated, 256, 20)}`);
  assert.ok(near(pixelAt(rotated, 256, 490), blue, 30), `bottom is blue: ${pixelAt(rotated, 256, 490)}`);
  assert.ok(near(pixelAt(await pixelsOf(join(dst, 'pic.png')), 100, 100), blue, 0));
  assert.ok(near(pixelAt(await pixelsOf(join(dst, 'anim.png')), 100, 100), red, 0), 'first frame');
  const cmyk = pixelAt(await pixelsOf(join(dst, 'print.png')), 100, 100);
  // A CMYK round trip through different profiles is not exact; the colour must survive, not be inverted or grey.
  assert.ok(near(cmyk, [40, 90, 160], 30), `CMYK converted back to sRGB: ${cmyk}`);
  assert.ok(near(pixelAt(await pixelsOf(join(dst, 'deep.png')), 100, 100), [200, 100, 50], 1), '16-bit scaled to 8-bit');
});

test('a truncated file and a non-image are skipped with their names and reasons; the rest is written', async () => {
  const { src, dst } = freshDirs();
  await fromRaw(64, 64, () => red).png().toFile(join(src, 'good.png'));
  const jpeg = await fromRaw(256, 256, (x, y) => [x, y, 0]).jpeg().toBuffer();
  writeFileSync(join(src, 'broken.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  writeFileSync(join(src, 'notes.png'), 'this is text');
  const report = await preprocessImages({ sourceDir: src, destinationDir: dst });
  assert.deepEqual(report.written, [join(dst, 'good.png')]);
  assert.deepEqual(report.failed.map((f) => f.file), [join(src, 'broken.jpg'), join(src, 'notes.png')]);
  assert.match(report.failed[0].reason, /premature end|truncated|corrupt/i);
  assert.match(report.failed[1].reason, /unsupported image format/);
  assert.deepEqual(readdirSync(dst), ['good.png'], 'no temporary or partial files left');
  await assert.rejects(preprocessImages({ sourceDir: join(src, 'missing'), destinationDir: dst }), /missing: cannot read the source folder \(ENOENT\)/);
});

test('progress counts every image and an abort stops between images', async () => {
  const { src, dst } = freshDirs();
  for (let i = 0; i < 6; i++) await fromRaw(64, 64, () => [i * 40, 0, 0]).png().toFile(join(src, `img${i}.png`));
  const seen: number[] = [];
  const controller = new AbortController();
  const report = await preprocessImages({
    sourceDir: src,
    destinationDir: dst,
    concurrency: 1,
    signal: controller.signal,
    onProgress: ({ done, total }) => {
      assert.equal(total, 6);
      seen.push(done);
      if (done === 2) controller.abort();
    },
  });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(report.cancelled, true);
  assert.equal(report.processed, 2);
  assert.deepEqual(readdirSync(dst).sort(), ['img0.png', 'img1.png']);
  const all: number[] = [];
  const full = await preprocessImages({ sourceDir: src, destinationDir: join(dst, 'all'), onProgress: ({ done }) => all.push(done) });
  assert.deepEqual(all, [1, 2, 3, 4, 5, 6]);
  assert.equal(full.cancelled, false);
});
