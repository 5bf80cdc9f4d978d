// Reads the tensor index of a PyTorch `.ckpt` / `.pt` (torch.save zip format) WITHOUT executing
// the pickle: a small pickle interpreter that builds plain data, turns the few torch globals that
// rebuild tensors into byte ranges of the zip (torch stores tensor data uncompressed), and keeps
// every other global as an inert placeholder. Nothing is imported or called, so a malicious file
// can do nothing; the tensors are then read lazily by file offset like safetensors.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { SafetensorsDtype, SafetensorsTensorInfo } from './safetensors';
import { dtypeItemSize, rawTensorToFloat32 } from './safetensors';

/** What checkpoint loading needs from any tensor container (safetensors or pickle). */
export interface TensorFile {
  path: string;
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsTensorInfo>;
  readFloat32(name: string): Float32Array;
  readRaw(name: string): Buffer;
  close(): void;
}

// ---- ZIP (central directory only; torch writes entries stored, possibly ZIP64) ----------------

interface ZipEntry {
  name: string;
  method: number;
  size: number;
  localHeaderOffset: number;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

function readZipDirectory(fd: number, fileSize: number, fail: (problem: string) => never): ZipEntry[] {
  const tailLength = Math.min(fileSize, 65536 + 22);
  const tail = readAt(fd, fileSize - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('not a zip-format PyTorch file (no zip directory) — a legacy torch.save file or a damaged download');
  let entries = tail.readUInt16LE(eocd + 10);
  let directorySize = tail.readUInt32LE(eocd + 12);
  let directoryOffset = tail.readUInt32LE(eocd + 16);
  if (entries === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || tail.readUInt32LE(locator) !== 0x07064b50) fail('ZIP64 directory locator missing — the file is damaged');
    const zip64Offset = Number(tail.readBigUInt64LE(locator + 8));
    const zip64 = readAt(fd, zip64Offset, 56);
    if (zip64.length < 56 || zip64.readUInt32LE(0) !== 0x06064b50) fail('ZIP64 end of directory missing — the file is damaged');
    entries = Number(zip64.readBigUInt64LE(32));
    directorySize = Number(zip64.readBigUInt64LE(40));
    directoryOffset = Number(zip64.readBigUInt64LE(48));
  }
  if (directoryOffset + directorySize > fileSize) fail('the zip directory points past the end of the file — it is truncated');
  const directory = readAt(fd, directoryOffset, directorySize);
  const result: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < entries; i++) {
    if (p + 46 > directory.length || directory.readUInt32LE(p) !== 0x02014b50) fail('the zip directory is damaged');
    const method = directory.readUInt16LE(p + 10);
    let size = directory.readUInt32LE(p + 20);
    const uncompressed = directory.readUInt32LE(p + 24);
    const nameLength = directory.readUInt16LE(p + 28);
    const extraLength = directory.readUInt16LE(p + 30);
    const commentLength = directory.readUInt16LE(p + 32);
    let localHeaderOffset = directory.readUInt32LE(p + 42);
    const name = directory.toString('utf8', p + 46, p + 46 + nameLength);
    // ZIP64 extra field: the 64-bit values, present only for fields saturated at 0xFFFFFFFF
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = directory.readUInt16LE(e);
      const length = directory.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (uncompressed === 0xffffffff) q += 8;
        if (size === 0xffffffff) {
          size = Number(directory.readBigUInt64LE(q));
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = Number(directory.readBigUInt64LE(q));
      }
      e += 4 + length;
    }
    result.push({ name, method, size, localHeaderOffset });
    p = extraEnd + commentLength;
  }
  return result;
}

function entryDataOffset(fd: number, entry: ZipEntry, fail: (problem: string) => never): number {
  const header = readAt(fd, entry.localHeaderOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== 0x04034b50) fail(`zip entry ${entry.name} has no local header — the file is damaged`);
  return entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
}

// ---- pickle interpreter (no execution) -------------------------------------------------------

class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
}
class PickleTuple {
  constructor(readonly items: unknown[]) {}
}
/** An object the file asked to build from a global we do not know: kept inert, never called. */
class InertObject {
  constructor(readonly global: PickleGlobal, readonly args: unknown) {}
}
class StorageRef {
  constructor(readonly dtype: SafetensorsDtype, readonly key: string) {}
}
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}
const mark = Symbol('mark');

const storageDtypes: Record<string, SafetensorsDtype> = {
  HalfStorage: 'F16', FloatStorage: 'F32', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
};

function tupleItems(value: unknown): unknown[] {
  return value instanceof PickleTuple ? value.items : Array.isArray(value) ? value : [];
}

function reduce(callable: unknown, args: unknown): unknown {
  if (callable instanceof PickleGlobal) {
    const path = `${callable.module}.${callable.name}`;
    const items = tupleItems(args);
    if (path === 'collections.OrderedDict' || path === 'builtins.dict') return new Map<unknown, unknown>();
    if (path === 'torch._utils._rebuild_tensor_v2' || path === 'torch._utils._rebuild_tensor') {
      const [storage, offset, shape, stride] = items;
      if (storage instanceof StorageRef) return new TensorRef(storage, Number(offset), tupleItems(shape).map(Number), tupleItems(stride).map(Number));
    }
    if (path === 'torch._utils._rebuild_parameter' || path === 'torch._utils._rebuild_parameter_with_state') return items[0];
  }
  return new InertObject(callable instanceof PickleGlobal ? callable : new PickleGlobal('?', '?'), args);
}

function persistentLoad(pid: unknown, fail: (problem: string) => never): StorageRef {
  const [kind, storageType, key] = tupleItems(pid);
  if (kind !== 'storage' || !(storageType instanceof PickleGlobal)) fail('the pickle references external data that is not a torch storage');
  const dtype = storageDtypes[(storageType as PickleGlobal).name];
  if (!dtype) fail(`unsupported storage type ${(storageType as PickleGlobal).name}`);
  return new StorageRef(dtype, String(key));
}

function setItem(target: unknown, key: unknown, value: unknown): void {
  if (target instanceof Map) target.set(key, value);
}

/** Runs the pickle as data. Returns the top-level value. */
function unpickle(bytes: Buffer, fail: (problem: string) => never): unknown {
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const popMark = (): unknown[] => {
    const at = marks.pop();
    if (at === undefined) fail('pickle MARK missing');
    return stack.splice(at!);
  };
  const top = (): unknown => stack[stack.length - 1];
  while (p < bytes.length) {
    const op = bytes[p++];
    switch (op) {
      case 0x80: p += 1; break; // PROTO
      case 0x95: p += 8; break; // FRAME
      case 0x2e: return stack.pop(); // STOP
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(new PickleTuple([])); break; // EMPTY_TUPLE
      case 0x8f: stack.push([]); break; // EMPTY_SET
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: stack.pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x71: memo.set(bytes[p++], top()); break; // BINPUT
      case 0x72: memo.set(bytes.readUInt32LE(p), top()); p += 4; break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memo.get(bytes[p++])); break; // BINGET
      case 0x6a: stack.push(memo.get(bytes.readUInt32LE(p))); p += 4; break; // LONG_BINGET
      case 0x58: { const n = bytes.readUInt32LE(p); stack.push(bytes.toString('utf8', p + 4, p + 4 + n)); p += 4 + n; break; } // BINUNICODE
      case 0x8c: { const n = bytes[p]; stack.push(bytes.toString('utf8', p + 1, p + 1 + n)); p += 1 + n; break; } // SHORT_BINUNICODE
      case 0x8d: { const n = Number(bytes.readBigUInt64LE(p)); stack.push(bytes.toString('utf8', p + 8, p + 8 + n)); p += 8 + n; break; } // BINUNICODE8
      case 0x54: { const n = bytes.readUInt32LE(p); stack.push(bytes.toString('latin1', p + 4, p + 4 + n)); p += 4 + n; break; } // BINSTRING
      case 0x55: { const n = bytes[p]; stack.push(bytes.toString('latin1', p + 1, p + 1 + n)); p += 1 + n; break; } // SHORT_BINSTRING
      case 0x42: { const n = bytes.readUInt32LE(p); stack.push(bytes.subarray(p + 4, p + 4 + n)); p += 4 + n; break; } // BINBYTES
      case 0x43: { const n = bytes[p]; stack.push(bytes.subarray(p + 1, p + 1 + n)); p += 1 + n; break; } // SHORT_BINBYTES
      case 0x4b: stack.push(bytes[p++]); break; // BININT1
      case 0x4d: stack.push(bytes.readUInt16LE(p)); p += 2; break; // BININT2
      case 0x4a: stack.push(bytes.readInt32LE(p)); p += 4; break; // BININT
      case 0x8a: { // LONG1
        const n = bytes[p++];
        let value = 0n;
        for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[p + i]);
        if (n > 0 && bytes[p + n - 1] & 0x80) value -= 1n << BigInt(8 * n);
        p += n;
        stack.push(Number(value));
        break;
      }
      case 0x47: stack.push(bytes.readDoubleBE(p)); p += 8; break; // BINFLOAT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x63: { // GLOBAL "module\nname\n"
        const end1 = bytes.indexOf(0x0a, p);
        const end2 = bytes.indexOf(0x0a, end1 + 1);
        stack.push(new PickleGlobal(bytes.toString('utf8', p, end1), bytes.toString('utf8', end1 + 1, end2)));
        p = end2 + 1;
        break;
      }
      case 0x93: { const name = stack.pop(); const module = stack.pop(); stack.push(new PickleGlobal(String(module), String(name))); break; } // STACK_GLOBAL
      case 0x51: stack.push(persistentLoad(stack.pop(), fail)); break; // BINPERSID
      case 0x52: { const args = stack.pop(); const callable = stack.pop(); stack.push(reduce(callable, args)); break; } // REDUCE
      case 0x81: { const args = stack.pop(); const cls = stack.pop(); stack.push(reduce(cls, args)); break; } // NEWOBJ
      case 0x62: stack.pop(); break; // BUILD: state of an object we keep inert (or an OrderedDict's, unused)
      case 0x74: stack.push(new PickleTuple(popMark())); break; // TUPLE
      case 0x85: stack.push(new PickleTuple(stack.splice(-1))); break; // TUPLE1
      case 0x86: stack.push(new PickleTuple(stack.splice(-2))); break; // TUPLE2
      case 0x87: stack.push(new PickleTuple(stack.splice(-3))); break; // TUPLE3
      case 0x73: { const value = stack.pop(); const key = stack.pop(); setItem(top(), key, value); break; } // SETITEM
      case 0x75: { const items = popMark(); for (let i = 0; i + 1 < items.length; i += 2) setItem(top(), items[i], items[i + 1]); break; } // SETITEMS
      case 0x61: { const value = stack.pop(); const list = top(); if (Array.isArray(list)) list.push(value); break; } // APPEND
      case 0x65: case 0x90: { const items = popMark(); const list = top(); if (Array.isArray(list)) list.push(...items); break; } // APPENDS / ADDITEMS
      case 0x91: stack.push(popMark()); break; // FROZENSET
      default:
        fail(`pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not supported by the safe reader`);
    }
  }
  return fail('the pickle ends without STOP — the file is damaged');
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/**
 * Opens a torch.save zip checkpoint (`.ckpt`, `.pt`, `.pth`, diffusers `.bin`) for lazy tensor
 * reads. The state dict is the top-level dict's `state_dict` entry when there is one.
 */
export function openPickledCheckpoint(path: string): TensorFile {
  const fail = (problem: string): never => {
    throw new Error(`${path}: ${problem}`);
  };
  let fd: number | undefined = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const head = readAt(fd, 0, 2);
    if (head[0] === 0x80) fail('a legacy (pre-1.6) PyTorch file, not the zip format; convert it to .safetensors (see the conversion steps) and load that');
    const entries = readZipDirectory(fd, fileSize, fail);
    const pickleEntry = entries.find((e) => e.name.endsWith('/data.pkl') || e.name === 'data.pkl');
    if (!pickleEntry) fail('no data.pkl in the zip — not a torch.save file');
    const prefix = pickleEntry!.name.slice(0, pickleEntry!.name.length - 'data.pkl'.length);
    if (pickleEntry!.method !== 0) fail('data.pkl is compressed; torch.save stores it uncompressed — re-save the checkpoint with torch.save');
    const pickleBytes = readAt(fd, entryDataOffset(fd, pickleEntry!, fail), pickleEntry!.size);
    const root = unpickle(pickleBytes, fail);
    let stateDict = root instanceof Map && root.get('state_dict') instanceof Map ? (root.get('state_dict') as Map<unknown, unknown>) : root;
    if (!(stateDict instanceof Map)) fail('the pickle does not hold a dict of tensors (a state_dict)');
    stateDict = stateDict as Map<unknown, unknown>;
    const byName = new Map(entries.map((e) => [e.name, e]));
    const storageOffsets = new Map<string, { offset: number; size: number }>();
    const tensors = new Map<string, SafetensorsTensorInfo>();
    for (const [key, value] of stateDict as Map<unknown, unknown>) {
      if (typeof key !== 'string' || !(value instanceof TensorRef)) continue;
      let storage = storageOffsets.get(value.storage.key);
      if (!storage) {
        const entry = byName.get(`${prefix}data/${value.storage.key}`);
        if (!entry) fail(`tensor \`${key}\`: its data (data/${value.storage.key}) is not in the zip`);
        if (entry!.method !== 0) fail(`tensor \`${key}\`: its data is compressed; torch.save stores tensors uncompressed — re-save the checkpoint`);
        storage = { offset: entryDataOffset(fd, entry!, fail), size: entry!.size };
        storageOffsets.set(value.storage.key, storage);
      }
      if (!isContiguous(value.shape, value.stride)) fail(`tensor \`${key}\` is not contiguous (a view); re-save the checkpoint with contiguous tensors or convert it to .safetensors`);
      const itemSize = dtypeItemSize[value.storage.dtype];
      const byteLength = value.shape.reduce((a, b) => a * b, 1) * itemSize;
      const begin = value.offset * itemSize;
      if (begin + byteLength > storage.size) fail(`tensor \`${key}\` reaches past its storage — the file is damaged`);
      tensors.set(key, { name: key, dtype: value.storage.dtype, shape: value.shape, fileOffset: storage.offset + begin, byteLength });
    }
    if (tensors.size === 0) fail('no tensors found in the checkpoint');
    const readRaw = (name: string): Buffer => {
      const info = tensors.get(name);
      if (!info) throw new Error(`${path}: tensor \`${name}\` is not in this file`);
      if (fd === undefined) fd = openSync(path, 'r');
      return readAt(fd, info.fileOffset, info.byteLength);
    };
    return {
      path,
      metadata: {},
      tensors,
      readRaw,
      readFloat32(name) {
        const info = tensors.get(name);
        const raw = readRaw(name);
        return rawTensorToFloat32(raw, info!.dtype);
      },
      close() {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      },
    };
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    throw error;
  }
}
