// PyTorch's torch.save format for the small objects embeddings are made of: a ZIP holding
// `archive/data.pkl` (a pickle) and `archive/data/<key>` (raw little-endian storages).
// The writer emits the protocol-2 pickle torch itself would write for dicts of strings, ints,
// None and float32 tensors. The reader is a pickle *interpreter without execution*: it knows
// the opcodes needed for containers, scalars and strings, and rebuilds tensors from a short list
// of torch globals; any other global is refused, so a malicious file cannot run code.
import { readZip, writeStoredZip } from './zipArchive';
import { float16ArrayToFloat32, bfloat16ArrayToFloat32 } from '../sd/float16';

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

class Global {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get path(): string {
    return `${this.module}.${this.name}`;
  }
}
class Tuple {
  constructor(readonly items: unknown[]) {}
}
class StorageRef {
  constructor(
    readonly dtype: string,
    readonly key: string,
    readonly count: number,
  ) {}
}
/** An object rebuilt from an allowed class (ParameterDict): its pickled __dict__. */
class PlainObject {
  state: unknown = null;
  constructor(readonly className: string) {}
}
const markSymbol = Symbol('mark');

const storageTypes: Record<string, string> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
};

export interface LoadedTensor {
  shape: number[];
  /** Values converted to float32. */
  data: Float32Array;
}

export type LoadedValue = null | boolean | number | string | LoadedTensor | LoadedValue[] | Map<unknown, unknown> | { [key: string]: unknown };

function isTensor(v: unknown): v is LoadedTensor {
  return typeof v === 'object' && v !== null && 'shape' in v && (v as LoadedTensor).data instanceof Float32Array;
}
export { isTensor as isLoadedTensor };

/** Reads a torch.save zip file without executing anything. Dicts come back as Maps. */
export function decodeTorchSave(bytes: Buffer, what: string): unknown {
  if (bytes.length >= 2 && bytes[0] === 0x80) {
    throw new Error(`${what}: this is a legacy (pre-1.6) PyTorch file, not the zip format; re-save it with a current PyTorch or convert it to .safetensors`);
  }
  const records = readZip(bytes, what);
  const pickleName = [...records.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pickleName) throw new Error(`${what}: no data.pkl in the archive — not a torch.save file`);
  const folder = pickleName.slice(0, pickleName.indexOf('/'));
  const storage = (ref: StorageRef): Buffer => {
    const data = records.get(`${folder}/data/${ref.key}`);
    if (!data) throw new Error(`${what}: storage ${ref.key} is missing from the archive`);
    return data;
  };
  return runPickle(records.get(pickleName)!, what, storage);
}

function rebuildTensor(args: unknown[], what: string, storage: (ref: StorageRef) => Buffer): LoadedTensor {
  const [ref, offset, size, stride] = args;
  if (!(ref instanceof StorageRef) || typeof offset !== 'number' || !(size instanceof Tuple) || !(stride instanceof Tuple)) {
    throw new Error(`${what}: malformed tensor record`);
  }
  const shape = size.items as number[];
  const strides = stride.items as number[];
  const raw = storage(ref);
  const itemSize = ref.dtype === 'float64' ? 8 : ref.dtype === 'float32' ? 4 : 2;
  const aligned = Buffer.from(raw); // own copy: typed views need aligned offsets
  const values =
    ref.dtype === 'float32'
      ? new Float32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4)
      : ref.dtype === 'float64'
        ? Float32Array.from(new Float64Array(aligned.buffer, aligned.byteOffset, aligned.length / 8))
        : ref.dtype === 'float16'
          ? float16ArrayToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2))
          : bfloat16ArrayToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2));
  void itemSize;
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  const index = new Array(shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += index[d] * strides[d];
    if (at >= values.length) throw new Error(`${what}: a tensor reads past the end of its storage`);
    out[n] = values[at];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return { shape, data: out };
}

function runPickle(bytes: Buffer, what: string, storage: (ref: StorageRef) => Buffer): unknown {
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = 0;
  const refuse = (detail: string): never => {
    throw new Error(`${what}: refused to load — ${detail}. Only tensors, dicts, lists, strings and numbers are read (nothing is executed); convert the file to .safetensors if it holds something else`);
  };
  const popMark = (): unknown[] => {
    const items: unknown[] = [];
    for (;;) {
      if (stack.length === 0) refuse('damaged pickle (no MARK)');
      const v = stack.pop();
      if (v === markSymbol) return items.reverse();
      items.push(v);
    }
  };
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) refuse('damaged pickle (unterminated line)');
    const s = bytes.toString('latin1', p, end);
    p = end + 1;
    return s;
  };
  const need = (n: number) => {
    if (p + n > bytes.length) refuse('the pickle is truncated');
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) refuse('SETITEM on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof Global) || !(args instanceof Tuple)) return refuse('a call of something that is not an allowed global');
    switch (fn.path) {
      case 'collections.OrderedDict':
        return new Map();
      case 'torch._utils._rebuild_tensor_v2':
      case 'torch._utils._rebuild_tensor':
        return rebuildTensor(args.items, what, storage);
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return args.items[0];
      default:
        return refuse(`the file calls ${fn.path}`);
    }
  };
  for (;;) {
    need(1);
    const op = bytes[p++];
    switch (op) {
      case 0x80: // PROTO
        p += 1;
        break;
      case 0x95: // FRAME
        p += 8;
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) refuse('damaged pickle (stack not empty at STOP)');
        return stack[0];
      case 0x28: // MARK
        stack.push(markSymbol);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new Tuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new Tuple(popMark()));
        break;
      case 0x85:
      case 0x86:
      case 0x87: {
        const n = op - 0x84;
        stack.push(new Tuple(stack.splice(stack.length - n, n)));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x71: // BINPUT
        need(1);
        memo.set(bytes[p++], stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        need(4);
        memo.set(bytes.readUInt32LE(p), stack[stack.length - 1]);
        p += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
        need(1);
        stack.push(memo.get(bytes[p++]));
        break;
      case 0x6a: // LONG_BINGET
        need(4);
        stack.push(memo.get(bytes.readUInt32LE(p)));
        p += 4;
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(bytes.readInt32LE(p));
        p += 4;
        break;
      case 0x4b: // BININT1
        need(1);
        stack.push(bytes[p++]);
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(bytes.readUInt16LE(p));
        p += 2;
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        need(1);
        const n = bytes[p++];
        need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[p + i]);
        if (n > 0 && bytes[p + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        p += n;
        stack.push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(bytes.readDoubleBE(p));
        p += 8;
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x58: // BINUNICODE
      case 0x8d: // BINUNICODE8
      case 0x8c: // SHORT_BINUNICODE
      case 0x54: // BINSTRING
      case 0x55: // SHORT_BINSTRING
      case 0x43: // SHORT_BINBYTES
      case 0x42: {
        // BINBYTES
        const short = op === 0x8c || op === 0x55 || op === 0x43;
        const wide = op === 0x8d;
        need(short ? 1 : wide ? 8 : 4);
        const length = short ? bytes[p] : wide ? Number(bytes.readBigUInt64LE(p)) : bytes.readUInt32LE(p);
        p += short ? 1 : wide ? 8 : 4;
        need(length);
        stack.push(bytes.toString(op === 0x58 || op === 0x8d || op === 0x8c ? 'utf8' : 'latin1', p, p + length));
        p += length;
        break;
      }
      case 0x73: {
        // SETITEM
        const value = stack.pop();
        const key = stack.pop();
        setItems(stack[stack.length - 1], [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(stack[stack.length - 1], items);
        break;
      }
      case 0x61: {
        // APPEND
        const v = stack.pop();
        const list = stack[stack.length - 1];
        if (!Array.isArray(list)) refuse('APPEND to something that is not a list');
        (list as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = stack[stack.length - 1];
        if (!Array.isArray(list)) refuse('APPENDS to something that is not a list');
        (list as unknown[]).push(...items);
        break;
      }
      case 0x63: {
        // GLOBAL: only a name; nothing is imported
        const module = readLine();
        const name = readLine();
        stack.push(new Global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = stack.pop();
        const module = stack.pop();
        if (typeof name !== 'string' || typeof module !== 'string') refuse('damaged STACK_GLOBAL');
        stack.push(new Global(module as string, name as string));
        break;
      }
      case 0x51: {
        // BINPERSID: ('storage', storage type, key, location, numel)
        const id = stack.pop();
        if (!(id instanceof Tuple) || id.items[0] !== 'storage' || !(id.items[1] instanceof Global)) refuse('an unknown persistent id');
        const [, type, key, , count] = (id as Tuple).items;
        const dtype = storageTypes[(type as Global).name];
        if (!dtype) refuse(`storage type ${(type as Global).path} (only float16/bfloat16/float32/float64 tensors are read)`);
        stack.push(new StorageRef(dtype, String(key), Number(count)));
        break;
      }
      case 0x52: {
        // REDUCE: only the allowed torch rebuild functions
        const args = stack.pop();
        const fn = stack.pop();
        stack.push(call(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: only ParameterDict (old A1111 files), kept as a plain record of its state
        const args = stack.pop();
        const cls = stack.pop();
        void args;
        if (!(cls instanceof Global) || cls.path !== 'torch.nn.modules.container.ParameterDict') refuse(`the file creates ${cls instanceof Global ? cls.path : 'an object'}`);
        stack.push(new PlainObject((cls as Global).path));
        break;
      }
      case 0x62: {
        // BUILD: set state on a ParameterDict; ignored on OrderedDicts and tensors (metadata)
        const state = stack.pop();
        const target = stack[stack.length - 1];
        if (target instanceof PlainObject) target.state = state;
        else if (!(target instanceof Map) && !isTensor(target)) refuse('BUILD on an unexpected object');
        break;
      }
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(stack[stack.length - 1]);
        break;
      default:
        refuse(`pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not understood`);
    }
  }
}

/** ParameterDict (old A1111 files) → its `_parameters` map; anything else unchanged. */
export function unwrapParameterDict(value: unknown): unknown {
  if (value instanceof PlainObject && value.state instanceof Map) return value.state.get('_parameters');
  return value;
}

export { Tuple as PickleTuple };
