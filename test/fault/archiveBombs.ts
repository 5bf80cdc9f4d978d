// torch.save-shaped ZIP files built to exhaust a reader: a small file whose data.pkl inflates to
// hundreds of MiB of NONE opcodes, or to a 1 GiB string, and stored pickles whose stack or lists
// grow without end. Written here with node's zlib in 1 MiB pieces (never holding the inflated
// bytes), with the ZIP records laid out by hand so the sizes can say what a bomb says.
import { crc32, deflateRawSync, constants } from 'node:zlib';

interface Entry {
  name: string;
  method: 0 | 8;
  data: Buffer;
  size: number;
  crc: number;
}

/**
 * A raw deflate stream of `prefix`, `total` bytes of `piece` repeated, and `suffix`. Each part is
 * deflated on its own and flushed to a byte boundary, so one deflated MiB can be repeated: the
 * inflated bytes never exist here.
 */
function deflatedRepeat(prefix: Buffer, piece: Buffer, total: number, suffix: Buffer): { data: Buffer; size: number; crc: number } {
  const mib = 1 << 20;
  if (total % mib !== 0) throw new Error('whole MiB only');
  const chunk = Buffer.alloc(mib);
  for (let i = 0; i < chunk.length; i++) chunk[i] = piece[i % piece.length];
  const flushed = { finishFlush: constants.Z_SYNC_FLUSH, level: 9 };
  const deflatedChunk = deflateRawSync(chunk, flushed);
  const parts = [deflateRawSync(prefix, flushed), ...Array.from({ length: total / mib }, () => deflatedChunk), deflateRawSync(suffix)];
  // a true CRC, so that a reader which inflates everything gets as far as the pickle
  let crc = crc32(prefix);
  for (let i = 0; i < total / mib; i++) crc = crc32(chunk, crc);
  return { data: Buffer.concat(parts), size: prefix.length + total + suffix.length, crc: crc32(suffix, crc) };
}

function zip(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(e.method, 10);
    dir.writeUInt32LE(e.crc >>> 0, 16);
    dir.writeUInt32LE(e.data.length, 20);
    dir.writeUInt32LE(e.size, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    parts.push(local, name, e.data);
    central.push(dir, name);
    offset += 30 + name.length + e.data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

const proto = Buffer.from([0x80, 0x02]);
const stop = Buffer.from([0x2e]);

/** data.pkl of `mib` MiB of NONE opcodes (0x4e), deflated: ~1 KB per MiB. */
export function noneOpcodeBomb(mib = 256): Buffer {
  const pickle = deflatedRepeat(proto, Buffer.from([0x4e]), mib * 2 ** 20, stop);
  return zip([{ name: 'archive/data.pkl', method: 8, ...pickle }, { name: 'archive/version', method: 0, data: Buffer.from('3\n'), size: 2, crc: crc32(Buffer.from('3\n')) }]);
}

/** data.pkl holding one string of `gib` GiB (BINUNICODE8), deflated to about a MiB. */
export function hugeStringBomb(gib = 1): Buffer {
  const length = gib * 2 ** 30;
  const header = Buffer.alloc(11);
  header.set(proto, 0);
  header[2] = 0x8d; // BINUNICODE8
  header.writeBigUInt64LE(BigInt(length), 3);
  const pickle = deflatedRepeat(header, Buffer.from('a'), length, stop);
  return zip([{ name: 'archive/data.pkl', method: 8, ...pickle }]);
}

/** A stored data.pkl pushing `count` NONEs onto the stack (no inflating involved). */
export function deepStackPickle(count = 2_000_000): Buffer {
  const pickle = Buffer.concat([proto, Buffer.alloc(count, 0x4e), stop]);
  return zip([{ name: 'archive/data.pkl', method: 0, data: pickle, size: pickle.length, crc: crc32(pickle) }]);
}

/** A stored data.pkl growing one list by `batches` × 1000 items (MARK, 1000 × NONE, APPENDS). */
export function endlessListPickle(batches = 5000): Buffer {
  const batch = Buffer.concat([Buffer.from([0x28]), Buffer.alloc(1000, 0x4e), Buffer.from([0x65])]);
  const pickle = Buffer.concat([proto, Buffer.from([0x5d]), ...Array.from({ length: batches }, () => batch), stop]);
  return zip([{ name: 'archive/data.pkl', method: 0, data: pickle, size: pickle.length, crc: crc32(pickle) }]);
}

/** A record that declares a small size but inflates to far more (the directory lies). */
export function understatedSizeBomb(): Buffer {
  const pickle = deflatedRepeat(proto, Buffer.from([0x4e]), 64 * 2 ** 20, stop);
  return zip([{ name: 'archive/data.pkl', method: 8, data: pickle.data, size: 4096, crc: pickle.crc }]);
}
