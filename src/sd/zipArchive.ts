// The ZIP container of torch.save files (embeddings `.pt`, checkpoints `.ckpt`/`.bin`).
// Reading goes through a ByteSource, so a checkpoint of many GB is read by file offsets (its
// directory, its pickle, then each tensor on demand) and never into one Buffer. The central
// directory is the only source of sizes, which covers torch's data-descriptor records (local
// header sizes left zero) and ZIP64 (sizes and offsets in the 0x0001 extra field, the directory
// found through the ZIP64 end record). Writing: uncompressed ("stored") records with their data
// aligned to 64 bytes through padding in the local header's extra field, as torch does.
import { fstatSync } from 'node:fs';
import { readFileRange } from './fileRange';
import { inflateRawSync } from 'node:zlib';

import { crc32 } from '../dataset/crc32';

export { crc32 };

// ---- reading ---------------------------------------------------------------------------------

/** Random access to a file's bytes: an open file read by offsets, or a Buffer already in memory. */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes from `position` (fewer at the end of the file). */
  read(position: number, length: number): Buffer;
}

export function bufferSource(bytes: Buffer): ByteSource {
  return { size: bytes.length, read: (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)) };
}

/** Reads an open file descriptor by offsets; the caller keeps ownership of `fd`. */
export function fileSource(fd: number): ByteSource {
  return {
    size: fstatSync(fd).size,
    read: (position, length) => readFileRange(fd, position, length),
  };
}

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const endOfDirectorySignature = 0x06054b50;
const zip64EndSignature = 0x06064b50;
const zip64LocatorSignature = 0x07064b50;
const directoryEntrySignature = 0x02014b50;
const localHeaderSignature = 0x04034b50;
const saturated32 = 0xffffffff;

/** Where the end-of-directory record starts, or -1: it sits in the last 64 KiB + 22 bytes (after a comment). */
function findEndOfDirectory(tail: Buffer): number {
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === endOfDirectorySignature) return i;
  }
  return -1;
}

/**
 * Reads the central directory; `what` names the file in errors, `missingDirectory` says what a
 * file without one is (a format built on ZIP knows better than "not a ZIP").
 */
export function readZipDirectory(source: ByteSource, what: string, missingDirectory = 'the ZIP directory is missing — the file is truncated or damaged'): ZipEntry[] {
  const fail = (problem: string): never => {
    throw new Error(`${what}: ${problem}`);
  };
  const tailStart = Math.max(0, source.size - (65535 + 22));
  const tail = source.read(tailStart, source.size - tailStart);
  const end = findEndOfDirectory(tail);
  if (end < 0) fail(missingDirectory);
  let count = tail.readUInt16LE(end + 10);
  let directorySize = tail.readUInt32LE(end + 12);
  let directoryOffset = tail.readUInt32LE(end + 16);
  if (count === 0xffff || directorySize === saturated32 || directoryOffset === saturated32) {
    const locator = end - 20;
    if (locator < 0 || tail.readUInt32LE(locator) !== zip64LocatorSignature) fail('the ZIP64 directory locator is missing — the file is damaged');
    const zip64 = source.read(Number(tail.readBigUInt64LE(locator + 8)), 56);
    if (zip64.length < 56 || zip64.readUInt32LE(0) !== zip64EndSignature) fail('the ZIP64 end of directory is missing — the file is damaged');
    count = Number(zip64.readBigUInt64LE(32));
    directorySize = Number(zip64.readBigUInt64LE(40));
    directoryOffset = Number(zip64.readBigUInt64LE(48));
  }
  if (directoryOffset + directorySize > source.size) fail('the ZIP directory points past the end of the file — the file is truncated');
  const directory = source.read(directoryOffset, directorySize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > directory.length || directory.readUInt32LE(p) !== directoryEntrySignature) fail(`damaged ZIP directory entry ${n}`);
    const nameLength = directory.readUInt16LE(p + 28);
    const extraStart = p + 46 + nameLength;
    const extraEnd = extraStart + directory.readUInt16LE(p + 30);
    if (extraEnd > directory.length) fail(`damaged ZIP directory entry ${n}`);
    const entry: ZipEntry = {
      name: directory.toString('utf8', p + 46, extraStart),
      method: directory.readUInt16LE(p + 10),
      crc: directory.readUInt32LE(p + 16),
      compressedSize: directory.readUInt32LE(p + 20),
      size: directory.readUInt32LE(p + 24),
      localHeaderOffset: directory.readUInt32LE(p + 42),
    };
    readZip64Extra(directory, extraStart, extraEnd, entry);
    if (entry.compressedSize === saturated32 || entry.size === saturated32 || entry.localHeaderOffset === saturated32) {
      fail(`ZIP record ${entry.name} has ZIP64 sizes without their extra field — the file is damaged`);
    }
    entries.push(entry);
    p = extraEnd + directory.readUInt16LE(p + 32);
  }
  return entries;
}

/** The 0x0001 extra field holds, in this order, only the 64-bit values whose 32-bit fields are saturated. */
function readZip64Extra(directory: Buffer, start: number, end: number, entry: ZipEntry): void {
  for (let e = start; e + 4 <= end; e += 4 + directory.readUInt16LE(e + 2)) {
    if (directory.readUInt16LE(e) !== 0x0001) continue;
    let q = e + 4;
    const next = (): number => {
      const value = q + 8 <= end ? Number(directory.readBigUInt64LE(q)) : saturated32;
      q += 8;
      return value;
    };
    if (entry.size === saturated32) entry.size = next();
    if (entry.compressedSize === saturated32) entry.compressedSize = next();
    if (entry.localHeaderOffset === saturated32) entry.localHeaderOffset = next();
  }
}

/** File offset of a record's (compressed) data, after its local header. */
export function zipEntryDataOffset(source: ByteSource, entry: ZipEntry, what: string): number {
  const header = source.read(entry.localHeaderOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== localHeaderSignature) throw new Error(`${what}: damaged ZIP record ${entry.name} (no local header)`);
  const dataStart = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (dataStart + entry.compressedSize > source.size) throw new Error(`${what}: ZIP record ${entry.name} runs past the end of the file — the file is truncated`);
  return dataStart;
}

/** The refusal of an archive whose sizes no embedding or checkpoint has (a damaged file, or a bomb). */
export function implausibleArchive(what: string, detail: string): Error {
  return new Error(`${what}: not a plausible embedding or checkpoint — ${detail}; it was refused without reading further (the file is damaged, or built to exhaust memory)`);
}

/** Deflate cannot shrink data more than about 1032:1; a record declaring more is forged or damaged. */
const deflateMaxRatio = 1032;

function byteCount(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`;
}

/**
 * A record's bytes, inflated when deflated, checked against its CRC. Nothing larger than
 * `maxBytes` is ever made: the declared size is checked first (against the limit and against
 * what deflate can hold in the compressed bytes), and inflating stops at the declared size.
 */
export function readZipEntry(source: ByteSource, entry: ZipEntry, what: string, maxBytes = 64 * 2 ** 20): Buffer {
  if (entry.size > maxBytes) throw implausibleArchive(what, `its record ${entry.name} would hold ${byteCount(entry.size)} (the file is ${byteCount(source.size)}; at most ${byteCount(maxBytes)} is read)`);
  if (entry.method === 8 && entry.size > deflateMaxRatio * entry.compressedSize + 1024) {
    throw implausibleArchive(what, `its record ${entry.name} declares ${byteCount(entry.size)} from ${byteCount(entry.compressedSize)} of deflated data, more than deflate can hold`);
  }
  const raw = source.read(zipEntryDataOffset(source, entry, what), entry.compressedSize);
  let data: Buffer;
  if (entry.method === 0) data = raw;
  else if (entry.method === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw implausibleArchive(what, `its record ${entry.name} inflates past the ${byteCount(entry.size)} it declares`);
      throw new Error(`${what}: ZIP record ${entry.name} cannot be inflated (${(error as Error).message}) — the file is damaged`);
    }
  } else throw new Error(`${what}: ZIP record ${entry.name} uses compression method ${entry.method}; only stored and deflate are supported`);
  if (data.length !== entry.size) throw new Error(`${what}: ZIP record ${entry.name} holds ${data.length} bytes, not the ${entry.size} its directory says — the file is damaged`);
  if (crc32(data) !== entry.crc) throw new Error(`${what}: ZIP record ${entry.name} fails its CRC check — the file is damaged`);
  return data;
}

/** Every record of a ZIP held in memory, by name; `what` names the file in errors. */
export function readZip(bytes: Buffer, what: string): Map<string, Buffer> {
  const source = bufferSource(bytes);
  return new Map(readZipDirectory(source, what).map((entry) => [entry.name, readZipEntry(source, entry, what)]));
}

// ---- writing ---------------------------------------------------------------------------------

export interface ZipRecord {
  name: string;
  data: Uint8Array;
}

const alignment = 64;
// DOS date 1980-01-01, time 00:00: a fixed timestamp keeps the output reproducible.
const dosDate = 0x21;

export function writeStoredZip(records: readonly ZipRecord[]): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const record of records) {
    const name = Buffer.from(record.name, 'utf8');
    const crc = crc32(record.data);
    const headerEnd = offset + 30 + name.length + 4;
    const padding = (alignment - (headerEnd % alignment)) % alignment;
    const extra = Buffer.alloc(4 + padding);
    extra.writeUInt16LE(0x4246, 0); // "FB": the padding field id torch uses
    extra.writeUInt16LE(padding, 2);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(localHeaderSignature, 0);
    local.writeUInt16LE(20, 4); // version needed; flags, method (stored) and time stay 0
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(record.data.length, 18);
    local.writeUInt32LE(record.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(directoryEntrySignature, 0);
    entry.writeUInt16LE(20, 4); // version made by
    entry.writeUInt16LE(20, 6); // version needed
    entry.writeUInt16LE(dosDate, 14);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(record.data.length, 20);
    entry.writeUInt32LE(record.data.length, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    chunks.push(local, name, extra, Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength));
    offset += 30 + name.length + extra.length + record.data.length;
  }
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(endOfDirectorySignature, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, centralBytes, end]);
}
