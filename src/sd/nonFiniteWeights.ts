// Finding NaN and ±Infinity in a model's weights before anything is built from them: a
// checkpoint damaged by a bad merge or a float16 conversion that overflowed trains to NaN at
// the first step, and the run would then blame the learning rate. The weights are read in
// place by file offset (never whole); the test is on the bits (an all-ones exponent), so a
// large model costs about one read of what is checked. Tensors up to `wholeBytes` are checked
// entirely, larger ones at evenly spread windows (a damaged tensor is rarely damaged in one
// spot only; the graph's tensors are far more than a few windows each).
import { closeSync, openSync } from 'node:fs';
import { readFileRange } from './fileRange';
import type { SafetensorsDtype } from './safetensors';

export interface WeightLocation {
  name: string;
  dtype: SafetensorsDtype;
  /** The file holding the bytes and where they start. */
  file: string;
  fileOffset: number;
  byteLength: number;
}

export interface NonFiniteWeight {
  name: string;
  /** Element index of the first non-finite value found. */
  element: number;
  value: 'NaN' | 'Infinity' | '-Infinity';
}

export interface NonFiniteScanOptions {
  /** Tensors up to this size are read whole (default 8 MiB). */
  wholeBytes?: number;
  /** Windows read from a larger tensor (default 32) and their size (default 64 KiB). */
  windows?: number;
  windowBytes?: number;
}

const itemSizes: Partial<Record<SafetensorsDtype, number>> = { F16: 2, BF16: 2, F32: 4, F64: 8 };

/** The first non-finite value among `bytes` (little-endian elements of `dtype`), as an element index. */
export function firstNonFinite(bytes: Buffer, dtype: SafetensorsDtype): { element: number; value: NonFiniteWeight['value'] } | undefined {
  const size = itemSizes[dtype];
  if (!size) return undefined;
  const n = Math.floor(bytes.length / size);
  // the common case, aligned half or single floats: one mask test per element on a typed view
  if ((dtype === 'F16' || dtype === 'BF16' || dtype === 'F32') && bytes.byteOffset % size === 0) {
    const view = size === 2 ? new Uint16Array(bytes.buffer, bytes.byteOffset, n) : new Uint32Array(bytes.buffer, bytes.byteOffset, n);
    const mask = dtype === 'F16' ? 0x7c00 : dtype === 'BF16' ? 0x7f80 : 0x7f800000;
    let i = 0;
    while (i < n && ((view[i] & mask) >>> 0) !== mask >>> 0) i++;
    if (i === n) return undefined;
    return firstNonFiniteSlow(bytes.subarray(i * size), dtype, i);
  }
  return firstNonFiniteSlow(bytes, dtype, 0);
}

function firstNonFiniteSlow(bytes: Buffer, dtype: SafetensorsDtype, base: number): { element: number; value: NonFiniteWeight['value'] } | undefined {
  const size = itemSizes[dtype]!;
  const n = Math.floor(bytes.length / size);
  for (let i = 0; i < n; i++) {
    let exponentAllOnes: boolean;
    let mantissaZero: boolean;
    let negative: boolean;
    if (dtype === 'F16') {
      const h = bytes.readUInt16LE(i * 2);
      exponentAllOnes = (h & 0x7c00) === 0x7c00;
      mantissaZero = (h & 0x03ff) === 0;
      negative = (h & 0x8000) !== 0;
    } else if (dtype === 'BF16') {
      const h = bytes.readUInt16LE(i * 2);
      exponentAllOnes = (h & 0x7f80) === 0x7f80;
      mantissaZero = (h & 0x007f) === 0;
      negative = (h & 0x8000) !== 0;
    } else if (dtype === 'F32') {
      const w = bytes.readUInt32LE(i * 4);
      exponentAllOnes = (w & 0x7f800000) === 0x7f800000;
      mantissaZero = (w & 0x007fffff) === 0;
      negative = w >>> 31 === 1;
    } else {
      const v = bytes.readDoubleLE(i * 8);
      if (Number.isFinite(v)) continue;
      return { element: base + i, value: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
    }
    if (exponentAllOnes) return { element: base + i, value: !mantissaZero ? 'NaN' : negative ? '-Infinity' : 'Infinity' };
  }
  return undefined;
}

/** The first tensor (in the order given) holding a non-finite weight, or undefined. */
export function findNonFiniteWeight(tensors: Iterable<WeightLocation>, options: NonFiniteScanOptions = {}): NonFiniteWeight | undefined {
  const wholeBytes = options.wholeBytes ?? 8 * 1024 * 1024;
  const windows = options.windows ?? 32;
  const windowBytes = options.windowBytes ?? 64 * 1024;
  const descriptors = new Map<string, number>();
  try {
    for (const tensor of tensors) {
      const size = itemSizes[tensor.dtype];
      if (!size || tensor.byteLength === 0) continue;
      let fd = descriptors.get(tensor.file);
      if (fd === undefined) {
        fd = openSync(tensor.file, 'r');
        descriptors.set(tensor.file, fd);
      }
      const ranges: [number, number][] = [];
      if (tensor.byteLength <= wholeBytes) ranges.push([0, tensor.byteLength]);
      else {
        const span = Math.floor(windowBytes / size) * size;
        const stride = Math.floor((tensor.byteLength - span) / (windows - 1) / size) * size;
        for (let w = 0; w < windows; w++) ranges.push([w === windows - 1 ? tensor.byteLength - span : w * stride, span]);
      }
      for (const [start, length] of ranges) {
        const found = firstNonFinite(readFileRange(fd, tensor.fileOffset + start, length), tensor.dtype);
        if (found) return { name: tensor.name, element: start / size + found.element, value: found.value };
      }
    }
    return undefined;
  } finally {
    for (const fd of descriptors.values()) closeSync(fd);
  }
}

/** The message for a damaged model: the tensor, where, and what to do. */
export function nonFiniteWeightMessage(path: string, found: NonFiniteWeight): string {
  return `${path}: tensor \`${found.name}\` holds a non-finite weight (${found.value} at element ${found.element}) — the checkpoint is damaged (a bad merge, or a float16 conversion that overflowed), and anything trained on it turns to NaN. Use an undamaged copy of the model (download or export it again).`;
}

/** The tensors SD1's graphs read (an EMA copy or training extras beside them are not used). */
const graphPrefixes = ['model.diffusion_model.', 'first_stage_model.', 'cond_stage_model.'];

/** The first non-finite weight among the graph's tensors of a checkpoint (single-file names). */
export function findNonFiniteGraphWeight(tensors: ReadonlyMap<string, WeightLocation>, options?: NonFiniteScanOptions): NonFiniteWeight | undefined {
  const used = [...tensors.values()].filter((t) => graphPrefixes.some((p) => t.name.startsWith(p)));
  // each tensor once, however many names point at it (aliases of old text-encoder names)
  const seen = new Set<string>();
  return findNonFiniteWeight(
    used.filter((t) => {
      const key = `${t.file}:${t.fileOffset}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
    options,
  );
}
