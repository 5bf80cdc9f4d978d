import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferSource, crc32, fileSource, readZip, readZipDirectory, readZipEntry, writeStoredZip } from '../../src/sd/zipArchive';
import { runBounded, timeLimits } from '../support/timeLimits';

// Archives written by Python's zipfile (the independent writer): ZIP64 forced by lowering its
// limit, and data descriptors by writing to a stream it cannot seek (as torch's writer does).
const python = '/usr/bin/python3';
const hasPython = spawnSync(python, ['-c', 'import zipfile'], { stdio: 'ignore', timeout: timeLimits.command }).status === 0;
const scratch = mkdtempSync(join(tmpdir(), 'zip-archive-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

const contents: Record<string, Buffer> = {
  'a/data.pkl': Buffer.from(Array.from({ length: 768 }, (_, i) => i % 256)),
  'a/data/0': Buffer.from('hello '.repeat(100)),
  small: Buffer.from('xy'),
};

const pythonWriter = `
import io, sys, zipfile
contents = {'a/data.pkl': bytes(i % 256 for i in range(768)), 'a/data/0': b'hello ' * 100, 'small': b'xy'}
def write(fp):
    with zipfile.ZipFile(fp, 'w') as z:
        for name, data in contents.items():
            z.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED if name == 'a/data/0' else zipfile.ZIP_STORED)
class Unseekable(io.RawIOBase):
    def __init__(self, f): self.f = f
    def writable(self): return True
    def write(self, b): return self.f.write(b)
with open(sys.argv[1] + '/descriptors.zip', 'wb') as f: write(Unseekable(f))
zipfile.ZIP64_LIMIT = 16  # every size or offset above 16 bytes goes to the ZIP64 fields
with open(sys.argv[1] + '/zip64.zip', 'wb') as f: write(f)
`;

function pythonArchives(): { descriptors: Buffer; zip64: Buffer } {
  const run = runBounded(python, ['-c', pythonWriter, scratch], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return { descriptors: readFileSync(join(scratch, 'descriptors.zip')), zip64: readFileSync(join(scratch, 'zip64.zip')) };
}

function assertContents(records: Map<string, Buffer>): void {
  assert.deepEqual([...records.keys()], Object.keys(contents));
  for (const [name, data] of Object.entries(contents)) assert.ok(records.get(name)!.equals(data), name);
}

/** Reads every record through a file descriptor, by offsets, as checkpoints are read. */
function readByOffsets(path: string): Map<string, Buffer> {
  const fd = openSync(path, 'r');
  try {
    const source = fileSource(fd);
    return new Map(readZipDirectory(source, path).map((entry) => [entry.name, readZipEntry(source, entry, path)]));
  } finally {
    closeSync(fd);
  }
}

test('crc32 of "123456789" is the standard check value, whole and as a range of a larger buffer', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.from('xx123456789yy'), 2, 11), 0xcbf43926);
});

test('data-descriptor records (sizes only in the directory), stored and deflated, in memory and by offsets', { skip: !hasPython && 'python3 is not installed' }, () => {
  const { descriptors } = pythonArchives();
  assert.equal(descriptors.readUInt16LE(6) & 0x08, 0x08, 'the first local header announces a data descriptor');
  assert.equal(descriptors.readUInt32LE(18), 0, 'and leaves its sizes zero');
  assertContents(readZip(descriptors, 'descriptors.zip'));
  assertContents(readByOffsets(join(scratch, 'descriptors.zip')));
});

test('ZIP64: sizes and offsets from the extra field, the directory through the ZIP64 end record', { skip: !hasPython && 'python3 is not installed' }, () => {
  const { zip64 } = pythonArchives();
  const directory = readZipDirectory(bufferSource(zip64), 'zip64.zip');
  assert.ok(directory[1].localHeaderOffset > 16, 'the second record sits past the lowered limit');
  assertContents(readZip(zip64, 'zip64.zip'));
  assertContents(readByOffsets(join(scratch, 'zip64.zip')));
  // Python fills the classic end record where values fit; saturated (as in files over 4 GiB) it
  // must be skipped for the ZIP64 one
  const end = zip64.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const saturated = Buffer.from(zip64);
  saturated.writeUInt16LE(0xffff, end + 8);
  saturated.writeUInt16LE(0xffff, end + 10);
  saturated.writeUInt32LE(0xffffffff, end + 12);
  saturated.writeUInt32LE(0xffffffff, end + 16);
  assertContents(readZip(saturated, 'saturated.zip'));
  const noLocator = Buffer.from(saturated);
  noLocator.writeUInt32LE(0, end - 20);
  assert.throws(() => readZip(noLocator, 'nolocator.zip'), /nolocator\.zip: the ZIP64 directory locator is missing — the file is damaged/);
});

test('our stored ZIP passes Python zipfile\'s CRC test, with every record\'s data aligned to 64 bytes as torch writes it', { skip: !hasPython && 'python3 is not installed' }, () => {
  const path = join(scratch, 'ours.zip');
  writeFileSync(path, writeStoredZip(Object.entries(contents).map(([name, data]) => ({ name, data }))));
  const check = `
import sys, zipfile, json, struct
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[1], 'rb') as f:
    assert z.testzip() is None
    out = []
    for i in z.infolist():
        f.seek(i.header_offset + 26)
        name_length, extra_length = struct.unpack('<HH', f.read(4))
        out.append([i.filename, i.compress_type, (i.header_offset + 30 + name_length + extra_length) % 64, z.read(i).hex()])
print(json.dumps(out))`;
  const run = runBounded(python, ['-c', check, path], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), Object.entries(contents).map(([name, data]) => [name, 0, 0, data.toString('hex')]));
});

test('damage is named: truncated directory, a record past the end, a failed CRC', () => {
  const zip = writeStoredZip(Object.entries(contents).map(([name, data]) => ({ name, data })));
  assert.throws(() => readZip(zip.subarray(0, zip.length - 30), 'cut.zip'), /cut\.zip: the ZIP directory is missing — the file is truncated or damaged/);
  const damaged = Buffer.from(zip);
  const at = damaged.indexOf(Buffer.from('hello'));
  damaged[at] ^= 1;
  assert.throws(() => readZip(damaged, 'flip.zip'), /flip\.zip: ZIP record a\/data\/0 fails its CRC check — the file is damaged/);
  const source = bufferSource(zip);
  const [first] = readZipDirectory(source, 'long.zip');
  assert.throws(() => readZipEntry(source, { ...first, compressedSize: zip.length }, 'long.zip'), /long\.zip: ZIP record a\/data\.pkl runs past the end of the file — the file is truncated/);
});
