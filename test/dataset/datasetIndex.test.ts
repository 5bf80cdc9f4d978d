// The dataset index on real folders: pairing, tag usage, incremental updates with editor text,
// and bad input (binary and non-UTF-8 captions, a 5 MB caption, damaged images, symlink loops,
// unreadable folders, more files than the cap).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, symlinkSync, chmodSync, unlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetIndex } from '../../src/dataset/datasetIndex';
import { readFilesOnWorker } from '../../src/dataset/fileReadWorker';
import { writeDataset, removeDataset, png } from '../lint/lintFixture';

const dirs: string[] = [];
after(() => dirs.forEach(removeDataset));

async function dataset(spec: Parameters<typeof writeDataset>[0]): Promise<string> {
  const dir = await writeDataset(spec);
  dirs.push(dir);
  return dir;
}

const square = { width: 512, height: 512 };

test('scans images and captions, pairs them by stem within a folder, skips dot-folders and node_modules', async () => {
  const dir = await dataset({
    'a.png': square,
    'a.txt': '1girl, smile',
    'b.JPG': { width: 640, height: 480 },
    'b.caption': '1girl',
    'sub/c.webp': square,
    'sub/c.txt': 'smile',
    'sub/d.txt': 'orphan',
    '.git/x.txt': 'ignored',
    '.hidden/y.png': square,
    'node_modules/z.txt': 'ignored',
    'notes.md': 'not indexed',
  });
  const index = await DatasetIndex.build(dir);
  assert.deepEqual([...index.captions()].map((c) => index.displayName(c.path)).sort(), ['a.txt', 'b.caption', 'sub/c.txt', 'sub/d.txt']);
  assert.deepEqual([...index.images()].map((i) => index.displayName(i.path)).sort(), ['a.png', 'b.JPG', 'sub/c.webp']);
  assert.deepEqual(index.imagesForCaption(join(dir, 'b.caption')).map((i) => [i.width, i.height]), [[640, 480]]);
  assert.deepEqual(index.captionsForImage(join(dir, 'sub/c.webp')).map((c) => c.path), [join(dir, 'sub/c.txt')]);
  assert.deepEqual(index.imagesForCaption(join(dir, 'sub/d.txt')), []);
  assert.equal(index.tagFileCount('1girl'), 2);
  assert.equal(index.tagFileCount('smile'), 2);
  assert.deepEqual([...index.filesWithTag('smile')].sort(), [join(dir, 'a.txt'), join(dir, 'sub/c.txt')]);
  assert.equal(index.covers(join(dir, '.git/x.txt')), false);
  assert.equal(index.covers(join(dir, 'sub/e.png')), true);
  assert.equal(index.covers(join(dir, '..', 'elsewhere.txt')), false);
});

test('incremental: editor text, disk changes, deletions; tag counts and spellings follow', async () => {
  const dir = await dataset({ 'a.png': square, 'a.txt': 'long hair, smile', 'b.png': square, 'b.txt': 'long_hair' });
  const index = await DatasetIndex.build(dir);
  assert.equal(index.tagFileCount('long hair'), 2);
  const v = index.version;
  const change = index.setCaptionText(join(dir, 'a.txt'), 'long_hair, blue eyes');
  assert.ok(index.version > v);
  assert.deepEqual(change.tags.sort(), ['blue eyes', 'smile']);
  assert.equal(index.getCaption(join(dir, 'a.txt'))!.fromEditor, true);
  assert.equal(index.tagFileCount('smile'), 0);
  assert.equal(index.tagSpelling('long hair'), 'long_hair');
  assert.deepEqual(index.getCaption(join(dir, 'a.txt'))!.caption!.tags[1].range, { start: { line: 0, character: 11 }, end: { line: 0, character: 20 } });
  // Back to the disk's text.
  await index.updateFile(join(dir, 'a.txt'));
  assert.equal(index.tagFileCount('smile'), 1);
  assert.equal(index.getCaption(join(dir, 'a.txt'))!.fromEditor, false);
  // New files from disk, deletion, folder deletion.
  mkdirSync(join(dir, 'more'));
  writeFileSync(join(dir, 'more/c.txt'), 'smile, leaf');
  writeFileSync(join(dir, 'more/c.png'), await png(8, 8));
  await index.updateFile(join(dir, 'more/c.txt'));
  await index.updateFile(join(dir, 'more/c.png'));
  assert.equal(index.hasImageForStem(join(dir, 'more/c')), true);
  assert.equal(index.getImage(join(dir, 'more/c.png'))!.width, 8);
  unlinkSync(join(dir, 'b.txt'));
  const removed = await index.updateFile(join(dir, 'b.txt'));
  assert.deepEqual(removed.files, [join(dir, 'b.txt')]);
  assert.equal(index.getCaption(join(dir, 'b.txt')), undefined);
  assert.equal(index.hasCaptionForStem(join(dir, 'b')), false);
  rmSync(join(dir, 'more'), { recursive: true });
  const folder = index.removeFile(join(dir, 'more'));
  assert.deepEqual(folder.files.sort(), [join(dir, 'more/c.png'), join(dir, 'more/c.txt')]);
  assert.equal(index.tagFileCount('leaf'), 0);
  // Files the index does not cover change nothing.
  assert.deepEqual((await index.updateFile(join(dir, 'notes.md'))).files, []);
});

// Large datasets read files on a worker thread; both ways must give the same entries and messages.
for (const fileReading of ['this-thread', 'worker'] as const) test(`bad input: binary, non-UTF-8 and 5 MB captions, damaged images are recorded, not thrown (files read on ${fileReading})`, async () => {
  const dir = await dataset({
    'ok.txt': 'a, b',
    'ok.png': await png(640, 480),
    'bin.txt': new Uint8Array([1, 2, 0, 3]),
    'latin1.txt': new Uint8Array([0x62, 0xe9, 0x62, 0xe9]),
    'big.txt': 'long hair, '.repeat(500_000),
    'bom.txt': new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x2c, 0x20, 0x62]),
    'broken.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    'broken.bmp': new Uint8Array([0x42, 0x4d, 0, 0]),
  });
  const index = await DatasetIndex.build(dir, { fileReading });
  const problem = (name: string) => index.getCaption(join(dir, name))?.problem ?? index.getImage(join(dir, name))?.problem;
  assert.deepEqual(index.getCaption(join(dir, 'ok.txt'))!.caption!.tags.map((t) => t.key), ['a', 'b']);
  assert.deepEqual([index.getImage(join(dir, 'ok.png'))!.width, index.getImage(join(dir, 'ok.png'))!.height], [640, 480]);
  assert.match(problem('bin.txt')!, /bin\.txt looks binary/);
  assert.match(problem('latin1.txt')!, /latin1\.txt is not valid UTF-8/);
  assert.match(problem('big.txt')!, /big\.txt is 5\.2 MB/);
  assert.equal(index.getCaption(join(dir, 'big.txt'))!.caption, undefined);
  assert.equal(index.tagFileCount('long hair'), 0);
  assert.equal(problem('bom.txt'), undefined);
  assert.deepEqual(index.getCaption(join(dir, 'bom.txt'))!.caption!.tags.map((t) => [t.raw, t.start]), [['a', 0], ['b', 3]]);
  assert.match(problem('broken.png')!, /broken\.png could not be read as an image/);
  assert.match(problem('broken.bmp')!, /broken\.bmp is not a readable BMP/);
  // A 5 MB text typed into an editor is refused the same way.
  index.setCaptionText(join(dir, 'bom.txt'), 'a, '.repeat(2_000_000));
  assert.match(index.getCaption(join(dir, 'bom.txt'))!.problem!, /holds 6000000 characters/);
});

test('symlink loops are walked once; a dangling caption link is reported, never read', async () => {
  const dir = await dataset({ 'a.png': square, 'a.txt': 'x', 'sub/b.txt': 'y' });
  symlinkSync(dir, join(dir, 'sub/loop'));
  symlinkSync(join(dir, 'sub'), join(dir, 'sub/self'));
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.txt'));
  const index = await DatasetIndex.build(dir);
  assert.deepEqual([...index.captions()].filter((c) => c.caption).map((c) => index.displayName(c.path)).sort(), ['a.txt', 'sub/b.txt']);
  assert.match(index.getCaption(join(dir, 'dangling.txt'))!.problem!, /^dangling\.txt is a symbolic link to .*nowhere, which does not exist; it is skipped/);
});

test('an unreadable folder is a problem with its path', { skip: process.getuid?.() === 0 ? 'root reads any folder' : false }, async () => {
  const dir = await dataset({ 'a.txt': 'x', 'locked/b.txt': 'y' });
  chmodSync(join(dir, 'locked'), 0);
  try {
    const index = await DatasetIndex.build(dir);
    assert.match(index.scanProblems[0].message, /locked: folder could not be read \(EACCES\)/);
  } finally {
    chmodSync(join(dir, 'locked'), 0o755);
  }
});

test('a folder with more files than the cap stops at the cap and says so', async () => {
  const spec: Record<string, string> = {};
  for (let i = 0; i < 300; i++) spec[`c${String(i).padStart(3, '0')}.txt`] = 'x';
  const dir = await dataset(spec);
  const index = await DatasetIndex.build(dir, { maxFiles: 100 });
  assert.equal(index.truncated, true);
  assert.equal(index.captionCount, 100);
  assert.match(index.scanProblems[0].message, /more than 100 images and captions; only the first 100 are indexed/);
});

test('a missing dataset folder is a clear error', async () => {
  await assert.rejects(DatasetIndex.build('/nonexistent/dataset'), /\/nonexistent\/dataset: cannot open the dataset folder \(ENOENT\)/);
});

test('the file-reading worker names a file that vanished and one over the cap, and sends PNG headers through the first IDAT', async () => {
  const dir = await dataset({ 'a.txt': 'x, y', 'big.txt': 'z'.repeat(3000), 'a.png': await png(8, 8) });
  const batches = [];
  for await (const batch of readFilesOnWorker({ captions: [join(dir, 'a.txt'), join(dir, 'gone.txt'), join(dir, 'big.txt')], pngs: [join(dir, 'a.png')], maxCaptionBytes: 1000, pngProbeBytes: 4096 })) batches.push(batch);
  assert.deepEqual(batches.map((b) => b.kind), ['captions', 'pngs']);
  const [captions, pngs] = batches;
  assert.deepEqual([...captions.lengths], [4, -1, -1]);
  assert.equal(Buffer.from(captions.data).toString(), 'x, y');
  assert.deepEqual(captions.problems, [[1, 'error', 'ENOENT'], [2, 'size', 3000]]);
  // Signature (8) + IHDR (25) + the next chunk's length and type (8), when that chunk is IDAT.
  const header = Buffer.from(pngs.data);
  assert.equal(header.toString('latin1', header.length - 4), 'IDAT');
  assert.equal(header.readUInt32BE(16), 8);
});
