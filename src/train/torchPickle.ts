// PyTorch's torch.save format for the small objects embeddings are made of: a ZIP holding
// `archive/data.pkl` (a pickle) and `archive/data/<key>` (raw little-endian storages).
// The writer emits the protocol-2 pickle torch itself would write for dicts of strings, ints,
// None and float32 tensors. The reader is src/sd's torch archive reader (a pickle interpreter
// without execution) in its strict form: any global but torch's tensor rebuilders is refused, so
// a malicious file cannot run code; tensors are read at once, as float32.
import { writeStoredZip, bufferSource, readZipEntry } from '../sd/zipArchive';
import { openTorchArchive, readTorchPickle, parameterDictContents, type TorchTensorRecord } from '../sd/torchArchive';
import { dtypeItemSize, rawTensorToFloat32 } from '../sd/safetensors';

/** A float32 tensor to write, row-major. */
export class TorchTensor {
  constructor(
    readonly shape: number[],
    readonly data: Float32Array,
  ) {
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`tensor of shape [${shape}] needs ${count} values, got ${data.length}`);
  }
}

export type PickleValue = null | boolean | number | bigint | string | TorchTensor | PickleValue[] | { [key: string]: PickleValue };

// ---- writer ---------------------------------------------------------------------------------

class PickleWriter {
  private readonly bytes: number[] = [];
  private memo = 0;
  readonly storages: Float32Array[] = [];

  byte(...values: number[]): void {
    this.bytes.push(...values);
  }
  uint32(v: number): void {
    this.byte(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  put(): void {
    // BINPUT / LONG_BINPUT, as Python's pickler memoises every container and string.
    if (this.memo < 256) this.byte(0x71, this.memo);
    else {
      this.byte(0x72);
      this.uint32(this.memo);
    }
    this.memo += 1;
  }
  string(s: string): void {
    const utf8 = Buffer.from(s, 'utf8');
    this.byte(0x58); // BINUNICODE
    this.uint32(utf8.length);
    this.byte(...utf8);
    this.put();
  }
  global(module: string, name: string): void {
    this.byte(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1')); // GLOBAL
    this.put();
  }
  int(v: number): void {
    if (!Number.isSafeInteger(v)) throw new Error(`cannot pickle ${v} as an int`);
    if (v >= 0 && v < 256) this.byte(0x4b, v); // BININT1
    else if (v >= 0 && v < 65536) this.byte(0x4d, v & 0xff, v >> 8); // BININT2
    else if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.byte(0x4a); // BININT
      this.uint32(v >>> 0);
    } else throw new Error(`integer ${v} is out of the 32-bit range this writer supports`);
  }
  tuple(items: (() => void)[]): void {
    if (items.length === 0) return this.byte(0x29); // EMPTY_TUPLE
    if (items.length <= 3) {
      items.forEach((f) => f());
      this.byte(0x85 + items.length - 1); // TUPLE1..3
    } else {
      this.byte(0x28); // MARK
      items.forEach((f) => f());
      this.byte(0x74); // TUPLE
    }
    this.put();
  }
  value(v: PickleValue): void {
    if (v === null) this.byte(0x4e);
    else if (v === true) this.byte(0x88);
    else if (v === false) this.byte(0x89);
    else if (typeof v === 'number') this.int(v);
    else if (typeof v === 'bigint') this.int(Number(v));
    else if (typeof v === 'string') this.string(v);
    else if (v instanceof TorchTensor) this.tensor(v);
    else if (Array.isArray(v)) {
      this.byte(0x5d); // EMPTY_LIST
      this.put();
      if (v.length) {
        this.byte(0x28);
        v.forEach((item) => this.value(item));
        this.byte(0x65); // APPENDS
      }
    } else {
      this.byte(0x7d); // EMPTY_DICT
      this.put();
      const entries = Object.entries(v);
      if (entries.length) {
        this.byte(0x28);
        for (const [key, item] of entries) {
          this.string(key);
          this.value(item);
        }
        this.byte(0x75); // SETITEMS
      }
    }
  }
  tensor(t: TorchTensor): void {
    const key = String(this.storages.length);
    this.storages.push(t.data);
    const strides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.tuple([
      () => {
        // persistent id ('storage', torch.FloatStorage, key, 'cpu', numel), then BINPERSID
        this.tuple([() => this.string('storage'), () => this.global('torch', 'FloatStorage'), () => this.string(key), () => this.string('cpu'), () => this.int(t.data.length)]);
        this.byte(0x51);
      },
      () => this.int(0),
      () => this.tuple(t.shape.map((s) => () => this.int(s))),
      () => this.tuple(strides.map((s) => () => this.int(s))),
      () => this.byte(0x89),
      () => {
        this.global('collections', 'OrderedDict');
        this.byte(0x29, 0x52); // EMPTY_TUPLE, REDUCE: OrderedDict()
        this.put();
      },
    ]);
    this.byte(0x52); // REDUCE
    this.put();
  }
  finish(): Buffer {
    return Buffer.from([0x80, 0x02, ...this.bytes, 0x2e]); // PROTO 2 ... STOP
  }
}

/** Serialises `value` as torch.save would (zip format, protocol 2), under folder `archive/`. */
export function encodeTorchSave(value: PickleValue): Buffer {
  const writer = new PickleWriter();
  writer.value(value);
  const pickle = writer.finish();
  return writeStoredZip([
    { name: 'archive/data.pkl', data: pickle },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    ...writer.storages.map((data, i) => ({ name: `archive/data/${i}`, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) })),
    { name: 'archive/version', data: Buffer.from('3\n') },
  ]);
}

// ---- reader ---------------------------------------------------------------------------------

export interface LoadedTensor {
  shape: number[];
  /** Values converted to float32. */
  data: Float32Array;
}

function isTensor(v: unknown): v is LoadedTensor {
  return typeof v === 'object' && v !== null && 'shape' in v && (v as LoadedTensor).data instanceof Float32Array;
}
export { isTensor as isLoadedTensor };

/** Reads a torch.save zip file without executing anything. Dicts come back as Maps. */
export function decodeTorchSave(bytes: Buffer, what: string): unknown {
  const archive = openTorchArchive(bufferSource(bytes), what);
  const storages = new Map<string, Float32Array>();
  const storageValues = (record: TorchTensorRecord): Float32Array => {
    const { key, dtype } = record.storage;
    let values = storages.get(key);
    if (!values) {
      const entry = archive.storageEntry(key);
      if (!entry) throw new Error(`${what}: storage ${key} is missing from the archive`);
      const raw = readZipEntry(archive.source, entry, what);
      if (raw.length % dtypeItemSize[dtype] !== 0) throw new Error(`${what}: storage ${key} holds ${raw.length} bytes, not a whole number of ${dtype} values — the file is damaged`);
      values = rawTensorToFloat32(raw, dtype);
      storages.set(key, values);
    }
    return values;
  };
  return readTorchPickle(archive, { otherCalls: 'refuse', tensor: (record) => gatherTensor(record, storageValues(record), what) });
}

/** The tensor's elements in row-major order, following its strides (torch saves views as they are). */
function gatherTensor(record: TorchTensorRecord, values: Float32Array, what: string): LoadedTensor {
  const { shape, stride, offset } = record;
  const count = shape.reduce((a, b) => a * b, 1);
  // a view may repeat elements (stride 0), but an embedding never needs more than its storage holds
  if (!(count <= values.length)) throw new Error(`${what}: not a plausible embedding — a tensor of shape [${shape}] (${count} values) over a storage of ${values.length}; the file is damaged`);
  const out = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += index[d] * stride[d];
    if (at < 0 || at >= values.length) throw new Error(`${what}: a tensor reads past the end of its storage`);
    out[n] = values[at];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return { shape, data: out };
}

/** ParameterDict (old A1111 files) → its `_parameters` map; anything else unchanged. */
export const unwrapParameterDict = parameterDictContents;
