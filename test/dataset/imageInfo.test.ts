// Image sizes from headers: real files written by sharp for PNG/JPEG/WebP/GIF, BMP headers
// built byte by byte here (sharp cannot read BMP), and damaged files.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { readImageInfo, parseBmpHeader, parsePlainPngHeader } from '../../src/dataset/imageInfo';

const dir = mkdtempSync(join(tmpdir(), 'es-image-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function bmp(width: number, height: number, dibSize = 40): Buffer {
  const rowBytes = Math.ceil((width * 3) / 4) * 4;
  const header = Buffer.alloc(14 + dibSize);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(14 + dibSize + rowBytes * Math.abs(height), 2);
  header.writeUInt32LE(14 + dibSize, 10);
  header.writeUInt32LE(dibSize, 14);
  if (dibSize === 12) {
    header.writeUInt16LE(width, 18);
    header.writeUInt16LE(height, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt16LE(24, 24);
  } else {
    header.writeInt32LE(width, 18);
    header.writeInt32LE(height, 22);
    header.writeUInt16LE(1, 26);
    header.writeUInt16LE(24, 28);
  }
  return Buffer.concat([header, Buffer.alloc(rowBytes * Math.abs(height))]);
}

test('PNG, JPEG, WebP and GIF sizes through sharp', async () => {
  const base = () => sharp({ create: { width: 640, height: 480, channels: 3, background: '#336699' } });
  await base().png().toFile(join(dir, 'a.png'));
  await base().jpeg().toFile(join(dir, 'a.jpg'));
  await base().webp().toFile(join(dir, 'a.webp'));
  await base().gif().toFile(join(dir, 'a.gif'));
  for (const [name, format] of [['a.png', 'png'], ['a.jpg', 'jpeg'], ['a.webp', 'webp'], ['a.gif', 'gif']]) {
    assert.deepEqual(await readImageInfo(join(dir, name)), { ok: true, width: 640, height: 480, format }, name);
  }
});

test('EXIF orientation 6 (rotated 90°) reports the displayed size', async () => {
  await sharp({ create: { width: 640, height: 480, channels: 3, background: '#336699' } }).jpeg().withMetadata({ orientation: 6 }).toFile(join(dir, 'rotated.jpg'));
  assert.deepEqual(await readImageInfo(join(dir, 'rotated.jpg')), { ok: true, width: 480, height: 640, format: 'jpeg' });
});

test('PNG with an eXIf orientation goes through sharp and reports the displayed size', async () => {
  // Plain PNG headers are read without sharp; an eXIf chunk must not bypass the rotation.
  await sharp({ create: { width: 64, height: 32, channels: 3, background: '#336699' } }).png().withMetadata({ orientation: 6 }).toFile(join(dir, 'rotated.png'));
  assert.deepEqual(await readImageInfo(join(dir, 'rotated.png')), { ok: true, width: 32, height: 64, format: 'png' });
  const plain = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#336699' } }).png().toBuffer();
  assert.deepEqual(parsePlainPngHeader(plain), { width: 64, height: 32 });
  const badCrc = Buffer.from(plain);
  badCrc[17] ^= 1; // width changed without its CRC: left to sharp
  assert.equal(parsePlainPngHeader(badCrc), undefined);
});

test('BMP headers: Windows (bottom-up and top-down) and OS/2', async () => {
  writeFileSync(join(dir, 'up.bmp'), bmp(300, 200));
  writeFileSync(join(dir, 'down.bmp'), bmp(300, -200));
  writeFileSync(join(dir, 'os2.bmp'), bmp(64, 32, 12));
  assert.deepEqual(await readImageInfo(join(dir, 'up.bmp')), { ok: true, width: 300, height: 200, format: 'bmp' });
  assert.deepEqual(await readImageInfo(join(dir, 'down.bmp')), { ok: true, width: 300, height: 200, format: 'bmp' });
  assert.deepEqual(await readImageInfo(join(dir, 'os2.bmp')), { ok: true, width: 64, height: 32, format: 'bmp' });
  const problem = (info: Awaited<ReturnType<typeof readImageInfo>>) => (info.ok ? '' : info.problem);
  assert.match(problem(parseBmpHeader(Buffer.from('BM'), 'x.bmp')), /x\.bmp is not a readable BMP \(file too short\)/);
  assert.match(problem(parseBmpHeader(Buffer.alloc(30), 'x.bmp')), /missing 'BM' signature/);
});

test('damaged and empty files are problems with the file name, not crashes', async () => {
  writeFileSync(join(dir, 'cut.png'), (await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer()).subarray(0, 20));
  writeFileSync(join(dir, 'empty.jpg'), '');
  writeFileSync(join(dir, 'text.webp'), 'not an image');
  for (const name of ['cut.png', 'empty.jpg', 'text.webp']) {
    const info = await readImageInfo(join(dir, name), name);
    assert.equal(info.ok, false, name);
    assert.match((info as { problem: string }).problem, new RegExp(`^${name.replace('.', '\\.')} could not be read as an image`));
  }
  const missing = await readImageInfo(join(dir, 'gone.bmp'), 'gone.bmp');
  assert.match((missing as { problem: string }).problem, /gone\.bmp could not be opened \(ENOENT/);
});
