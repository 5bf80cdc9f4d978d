// The ZIP container of torch.save files: written uncompressed ("stored") with every record's
// data aligned to 64 bytes through padding in the local header's extra field, as torch does;
// read back with stored or deflated records. Only what torch files need: no ZIP64, no encryption.
import { inflateRawSync } from 'node:zlib';

const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

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
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(record.data.length, 18);
    local.writeUInt32LE(record.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0, 8);
    entry.writeUInt16LE(0, 10);
    entry.writeUInt16LE(0, 12);
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
  const centralStart = offset;
  const centralBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(records.length, 8);
  end.writeUInt16LE(records.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(centralStart, 16);
  return Buffer.concat([...chunks, centralBytes, end]);
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** Reads every record of a ZIP file; `what` names the file in errors. */
export function readZip(bytes: Buffer, what: string): Map<string, Buffer> {
  let endOffset = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (bytes.readUInt32LE(i) === 0x06054b50) {
      endOffset = i;
      break;
    }
  }
  if (endOffset < 0) throw new Error(`${what}: the ZIP directory is missing — the file is truncated or damaged`);
  const count = bytes.readUInt16LE(endOffset + 10);
  let p = bytes.readUInt32LE(endOffset + 16);
  const records = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (p + 46 > bytes.length || bytes.readUInt32LE(p) !== 0x02014b50) throw new Error(`${what}: damaged ZIP directory entry ${n}`);
    const method = bytes.readUInt16LE(p + 10);
    const crc = bytes.readUInt32LE(p + 16);
    const compressedSize = bytes.readUInt32LE(p + 20);
    const nameLength = bytes.readUInt16LE(p + 28);
    const extraLength = bytes.readUInt16LE(p + 30);
    const commentLength = bytes.readUInt16LE(p + 32);
    const localOffset = bytes.readUInt32LE(p + 42);
    const name = bytes.toString('utf8', p + 46, p + 46 + nameLength);
    p += 46 + nameLength + extraLength + commentLength;
    if (compressedSize === 0xffffffff || localOffset === 0xffffffff) throw new Error(`${what}: ZIP64 records are not supported (record ${name})`);
    if (localOffset + 30 > bytes.length || bytes.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`${what}: damaged ZIP record ${name}`);
    const dataStart = localOffset + 30 + bytes.readUInt16LE(localOffset + 26) + bytes.readUInt16LE(localOffset + 28);
    if (dataStart + compressedSize > bytes.length) throw new Error(`${what}: ZIP record ${name} runs past the end of the file — the file is truncated`);
    const raw = bytes.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === 0) data = raw;
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`${what}: ZIP record ${name} uses compression method ${method}; only stored and deflate are supported`);
    if (crc32(data) !== crc) throw new Error(`${what}: ZIP record ${name} fails its CRC check — the file is damaged`);
    records.set(name, data);
  }
  return records;
}
