// Reader and writer for the safetensors format: 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {k: string}}, then
// the raw little-endian tensor bytes. Reading is lazy and synchronous: opening parses only the
// header, so graphs can point at tensors by absolute file offset without loading gigabytes.
import { openSync, closeSync, fstatSync, writeSync, fsyncSync, renameSync, unlinkSync } from 'node:fs';
import { readFileRange } from './fileRange';
import { dirname, basename, join } from 'node:path';
import { temporaryPath, writeFileAtomicSync } from '../dataset/atomicWrite';
import { float16ArrayToFloat32, bfloat16ArrayToFloat32 } from './float16';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const dtypeItemSize: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Headers above this are refused: real checkpoints have headers of a few hundred KB. */
export const maxHeaderLength = 100 * 1024 * 1024;

export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset of the tensor's first byte in the file (dataStart + begin). */
  fileOffset: number;
  byteLength: number;
}

export interface SafetensorsFile {
  path: string;
  headerLength: number;
  /** 8 + headerLength: where the data section begins. */
  dataStart: number;
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsTensorInfo>;
  /** The tensor's values as float32, converting F16/BF16/F64 and integer dtypes. */
  readFloat32(name: string): Float32Array;
  /** The tensor's raw little-endian bytes. */
  readRaw(name: string): Buffer;
  close(): void;
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(dtypeItemSize, value);
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/**
 * Parses and validates a header; returns tensor infos (absolute offsets) and metadata.
 * Exported for callers that already hold the bytes (e.g. tests of crafted headers).
 */
export function parseSafetensorsHeader(path: string, headerBytes: Buffer, dataStart: number, fileSize: number): {
  tensors: Map<string, SafetensorsTensorInfo>;
  metadata: Record<string, string>;
} {
  const fail = (problem: string): never => {
    throw new Error(`${path}: ${problem}`);
  };
  let header: unknown;
  try {
    header = JSON.parse(headerBytes.toString('utf8'));
  } catch (error) {
    return fail(`the safetensors header is not valid JSON (${(error as Error).message}) — the file is damaged or not a safetensors file; re-download or re-export it`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return fail('the safetensors header is not a JSON object — the file is damaged or not a safetensors file');
  }
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensorInfo>();
  const ranges: { name: string; begin: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('`__metadata__` must be an object of strings');
      for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`metadata \`${key}\` is not a string — safetensors metadata holds only strings`);
        metadata[key] = value as string;
      }
      continue;
    }
    if (typeof entry !== 'object' || entry === null) fail(`tensor \`${name}\` has no {dtype, shape, data_offsets} entry in the header`);
    const { dtype, shape, data_offsets: offsets } = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!isDtype(dtype)) {
      fail(`tensor \`${name}\` has unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(dtypeItemSize).join(', ')}) — convert the file to float16/float32`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor \`${name}\` has an invalid shape ${JSON.stringify(shape)} (expected a list of non-negative integers)`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
      fail(`tensor \`${name}\` has invalid data_offsets ${JSON.stringify(offsets)} (expected [begin, end] with 0 <= begin <= end)`);
    }
    const [begin, end] = offsets as [number, number];
    const dt = dtype as SafetensorsDtype;
    const dims = shape as number[];
    const expected = elementCount(dims) * dtypeItemSize[dt];
    if (expected !== end - begin) {
      fail(`tensor \`${name}\`: shape [${dims.join(', ')}] × ${dtypeItemSize[dt]} bytes (${dt}) = ${expected} bytes, but data_offsets [${begin}, ${end}] span ${end - begin} bytes — the header is inconsistent; the file is damaged`);
    }
    if (end > dataSize) {
      fail(`tensor \`${name}\` ends at data byte ${end} but the file has only ${dataSize} data bytes — the file is truncated (an interrupted download or copy?); download it again`);
    }
    ranges.push({ name, begin, end });
    tensors.set(name, { name, dtype: dt, shape: dims, fileOffset: dataStart + begin, byteLength: end - begin });
  }
  // sorted by start, a range overlaps an earlier one exactly when it starts before the furthest end so far
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let furthest: { name: string; begin: number; end: number } | undefined;
  for (const current of ranges) {
    if (current.end === current.begin) continue; // empty tensors occupy no bytes
    if (furthest && current.begin < furthest.end) {
      fail(`tensors \`${furthest.name}\` [${furthest.begin}, ${furthest.end}) and \`${current.name}\` [${current.begin}, ${current.end}) overlap in the data section — the file is damaged`);
    }
    if (!furthest || current.end > furthest.end) furthest = current;
  }
  return { tensors, metadata };
}

/** Opens a .safetensors file and validates its header. Tensor data is read on demand. */
export function openSafetensors(path: string): SafetensorsFile {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new Error(`${path}: cannot open the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}) — check the path and permissions`);
  }
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) {
      throw new Error(`${path}: the file is ${fileSize} bytes long, too short to hold a safetensors header — it is truncated or not a safetensors file`);
    }
    const lengthBytes = readFileRange(fd, 0, 8);
    const headerLength64 = lengthBytes.readBigUInt64LE(0);
    if (headerLength64 > BigInt(maxHeaderLength)) {
      const looksPickled = lengthBytes[0] === 0x80 || (lengthBytes[0] === 0x50 && lengthBytes[1] === 0x4b);
      throw new Error(`${path}: the header length field says ${headerLength64} bytes, over the ${maxHeaderLength}-byte limit — ${looksPickled ? 'this looks like a pickled PyTorch file (.ckpt/.pt) renamed to .safetensors; convert it to safetensors' : 'the file is damaged or not a safetensors file'}`);
    }
    const headerLength = Number(headerLength64);
    const dataStart = 8 + headerLength;
    if (dataStart > fileSize) {
      throw new Error(`${path}: the header needs ${headerLength} bytes but the file has only ${fileSize - 8} after the length field — the file is truncated; download it again`);
    }
    const headerBytes = readFileRange(fd, 8, headerLength);
    const { tensors, metadata } = parseSafetensorsHeader(path, headerBytes, dataStart, fileSize);
    return makeFile(path, fd, headerLength, dataStart, tensors, metadata);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function makeFile(
  path: string,
  initialFd: number,
  headerLength: number,
  dataStart: number,
  tensors: Map<string, SafetensorsTensorInfo>,
  metadata: Record<string, string>,
): SafetensorsFile {
  let fd: number | undefined = initialFd;
  const info = (name: string): SafetensorsTensorInfo => {
    const found = tensors.get(name);
    if (!found) throw new Error(`${path}: tensor \`${name}\` is not in this file`);
    return found;
  };
  const readRaw = (name: string): Buffer => {
    const tensor = info(name);
    if (fd === undefined) fd = openSync(path, 'r'); // reopened lazily after close()
    const bytes = readFileRange(fd, tensor.fileOffset, tensor.byteLength);
    if (bytes.length !== tensor.byteLength) {
      throw new Error(`${path}: tensor \`${name}\` could not be read in full (the file shrank while open?)`);
    }
    return bytes;
  };
  const readFloat32 = (name: string): Float32Array => {
    const tensor = info(name);
    const raw = readRaw(name);
    return rawTensorToFloat32(raw, tensor.dtype);
  };
  return {
    path,
    headerLength,
    dataStart,
    metadata,
    tensors,
    readFloat32,
    readRaw,
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

export interface SafetensorsTensorData {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Raw little-endian bytes of exactly shape × itemsize (a typed array of the dtype works). */
  data: ArrayBufferView;
}

export interface SafetensorsTensorSpec {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
}

interface Layout {
  header: Buffer;
  order: { spec: SafetensorsTensorSpec; begin: number; byteLength: number }[];
  dataLength: number;
}

/**
 * Lays tensors out without gaps (the safetensors library rejects holes between tensors), largest
 * item size first, so every tensor starts at a multiple of its own item size; the header is
 * space-padded so the data section starts at a multiple of 8. Typed-array views then work.
 */
function layoutSafetensors(specs: readonly SafetensorsTensorSpec[], metadata?: Record<string, string>): Layout {
  const seen = new Set<string>();
  for (const spec of specs) {
    if (spec.name === '__metadata__') throw new Error('a tensor cannot be named `__metadata__`');
    if (seen.has(spec.name)) throw new Error(`tensor \`${spec.name}\` is given twice`);
    if (!isDtype(spec.dtype)) throw new Error(`tensor \`${spec.name}\`: unknown dtype ${String(spec.dtype)}`);
    seen.add(spec.name);
  }
  const sorted = specs
    .map((spec, index) => ({ spec, index }))
    .sort((a, b) => dtypeItemSize[b.spec.dtype] - dtypeItemSize[a.spec.dtype] || a.index - b.index)
    .map(({ spec }) => spec);
  const headerObject: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) headerObject.__metadata__ = metadata;
  const order: Layout['order'] = [];
  let offset = 0;
  for (const spec of sorted) {
    const byteLength = elementCount(spec.shape) * dtypeItemSize[spec.dtype];
    headerObject[spec.name] = { dtype: spec.dtype, shape: spec.shape, data_offsets: [offset, offset + byteLength] };
    order.push({ spec, begin: offset, byteLength });
    offset += byteLength;
  }
  let json = JSON.stringify(headerObject);
  const jsonLength = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + jsonLength) % 8)) % 8);
  return { header: Buffer.from(json, 'utf8'), order, dataLength: offset };
}

function lengthPrefix(headerLength: number): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerLength), 0);
  return prefix;
}

function bytesOf(tensor: { name: string }, data: ArrayBufferView, expected: number): Uint8Array {
  if (data.byteLength !== expected) {
    throw new Error(`tensor \`${tensor.name}\`: ${data.byteLength} data bytes given, its shape and dtype need ${expected}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Writes a .safetensors file atomically (temporary file, then rename). */
export function writeSafetensors(path: string, tensors: readonly SafetensorsTensorData[], metadata?: Record<string, string>): void {
  const layout = layoutSafetensors(tensors, metadata);
  const out = Buffer.alloc(8 + layout.header.length + layout.dataLength);
  lengthPrefix(layout.header.length).copy(out, 0);
  layout.header.copy(out, 8);
  const dataStart = 8 + layout.header.length;
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const { spec, begin, byteLength } of layout.order) {
    out.set(bytesOf(spec, byName.get(spec.name)!.data, byteLength), dataStart + begin);
  }
  writeFileAtomicSync(path, out);
}

/**
 * Writes a .safetensors file whose tensors are produced one at a time by `produce` (for
 * multi-GB checkpoints that should never be in memory at once). Atomic like writeSafetensors:
 * the data goes to a temporary file in the same folder, is flushed, then renamed over `path`.
 */
export function writeSafetensorsStreaming(
  path: string,
  specs: readonly SafetensorsTensorSpec[],
  produce: (spec: SafetensorsTensorSpec) => ArrayBufferView,
  metadata?: Record<string, string>,
): void {
  const layout = layoutSafetensors(specs, metadata);
  const tmp = temporaryPath(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, lengthPrefix(layout.header.length));
    writeSync(fd, layout.header);
    for (const { spec, byteLength } of layout.order) {
      const bytes = bytesOf(spec, produce(spec), byteLength);
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw new Error(`could not write ${path}: ${(error as Error).message}`);
  }
}

/** Converts a tensor's little-endian bytes to float32 (F16/BF16/F64 and integers widened). */
export function rawTensorToFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  // typed-array views need aligned offsets; a fresh Buffer owns its memory from offset 0, so the
  // copy is only a fallback
  const aligned = raw.byteOffset % 8 === 0 ? raw : Uint8Array.from(raw);
  const { buffer, byteOffset } = aligned;
  const count = aligned.byteLength / dtypeItemSize[dtype];
  switch (dtype) {
    case 'F32': return new Float32Array(buffer, byteOffset, count);
    case 'F16': return float16ArrayToFloat32(new Uint16Array(buffer, byteOffset, count));
    case 'BF16': return bfloat16ArrayToFloat32(new Uint16Array(buffer, byteOffset, count));
    case 'F64': return Float32Array.from(new Float64Array(buffer, byteOffset, count));
    case 'I64': return Float32Array.from(new BigInt64Array(buffer, byteOffset, count), (v) => Number(v));
    case 'I32': return Float32Array.from(new Int32Array(buffer, byteOffset, count));
    case 'I16': return Float32Array.from(new Int16Array(buffer, byteOffset, count));
    case 'I8': return Float32Array.from(new Int8Array(buffer, byteOffset, count));
    case 'U8': case 'BOOL': return Float32Array.from(aligned);
  }
}
