// torch.save's zip format (PyTorch 1.6+), read for embeddings (.pt) and checkpoints (.ckpt,
// .bin): a ZIP with `<folder>/data.pkl`, a pickle whose tensors are calls of
// torch._utils._rebuild_tensor_v2 over persistent storage ids, and `<folder>/data/<key>`, each
// storage's raw little-endian bytes. The pickle runs through the non-executing reader with the
// short table of torch globals below; tensors come back as TorchTensorRecord (where its bytes
// are), so a checkpoint reads them lazily by offset and an embedding reads them at once.
import { readZipDirectory, readZipEntry, type ByteSource, type ZipEntry } from './zipArchive';
import { InertObject, PickleGlobal, PickleTuple, pickleRefusal, readPickle } from './pickleReader';
import type { SafetensorsDtype } from './safetensors';

export class TorchStorageRecord {
  constructor(
    readonly dtype: SafetensorsDtype,
    readonly key: string,
  ) {}
}

/** A tensor as the pickle describes it: `shape` elements of `storage` from `offset` with `stride` (in elements). */
export class TorchTensorRecord {
  constructor(
    readonly storage: TorchStorageRecord,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

// a Map: a name from the file must not reach Object.prototype (`__proto__`, `constructor`)
const storageDtypes: ReadonlyMap<string, SafetensorsDtype> = new Map([
  ['HalfStorage', 'F16'], ['FloatStorage', 'F32'], ['BFloat16Storage', 'BF16'], ['DoubleStorage', 'F64'], ['LongStorage', 'I64'],
  ['IntStorage', 'I32'], ['ShortStorage', 'I16'], ['CharStorage', 'I8'], ['ByteStorage', 'U8'], ['BoolStorage', 'BOOL'],
]);

export interface TorchArchive {
  source: ByteSource;
  /** Names the file in errors. */
  what: string;
  /** The data.pkl bytes (CRC-checked). */
  pickle: Buffer;
  /** The ZIP record holding a storage's bytes, if the archive has it. */
  storageEntry(key: string): ZipEntry | undefined;
}

/** Opens the container: refuses legacy files, finds data.pkl and the storages beside it. */
export function openTorchArchive(source: ByteSource, what: string): TorchArchive {
  const fail = (problem: string): never => {
    throw new Error(`${what}: ${problem}`);
  };
  if (source.read(0, 1)[0] === 0x80) {
    fail('a legacy (pre-1.6) PyTorch file, not the zip format; re-save it with torch.save from PyTorch 1.6 or later, or convert it to .safetensors');
  }
  const entries = new Map(
    readZipDirectory(source, what, 'not a zip-format PyTorch file (the ZIP directory is missing) — the file is truncated or damaged (an interrupted download?)').map((e) => [e.name, e]),
  );
  const pickles = [...entries.keys()].filter((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
  if (pickles.length === 0) return fail('no data.pkl in the ZIP — not a torch.save file');
  // Which one torch would read depends on the reader; AUTOMATIC1111 refuses such files too.
  if (pickles.length > 1) return fail(`the ZIP holds ${pickles.length} data.pkl files (${pickles.slice(0, 4).join(', ')}), so what it contains is ambiguous — AUTOMATIC1111 refuses it as well; re-save the embedding with torch.save, or use its .safetensors`);
  const pickleName = pickles[0];
  const folder = pickleName.slice(0, pickleName.length - 'data.pkl'.length);
  const byteorder = entries.get(`${folder}byteorder`);
  if (byteorder && readZipEntry(source, byteorder, what).toString('latin1').trim() === 'big') {
    fail('its tensors are big-endian (byteorder "big"); load and re-save it with PyTorch on a little-endian machine, or convert it to .safetensors');
  }
  return {
    source,
    what,
    pickle: readZipEntry(source, entries.get(pickleName)!, what),
    storageEntry: (key) => entries.get(`${folder}data/${key}`),
  };
}

export interface TorchPickleOptions {
  /**
   * A call of a global outside torch's tensor rebuilders: 'refuse' the file (embeddings hold
   * nothing else), or keep it 'inert' (checkpoints carry training state such as Lightning
   * callbacks that we skip without running).
   */
  otherCalls: 'refuse' | 'inert';
  /** What a rebuilt tensor becomes in the result (default: its TorchTensorRecord). */
  tensor?: (record: TorchTensorRecord) => unknown;
}

/** The pickle's top-level value: dicts as Maps, tensors as `options.tensor` makes them. Executes nothing. */
export function readTorchPickle(archive: TorchArchive, options: TorchPickleOptions): unknown {
  const { what } = archive;
  const tensor = options.tensor ?? ((record: TorchTensorRecord) => record);
  const isIntegerTuple = (value: unknown): value is PickleTuple => value instanceof PickleTuple && value.items.every((v) => Number.isSafeInteger(v));
  const rebuildTensor = (args: unknown[]): unknown => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof TorchStorageRecord) || !Number.isSafeInteger(offset) || !isIntegerTuple(size) || !isIntegerTuple(stride) || size.items.length !== stride.items.length) {
      throw new Error(`${what}: malformed tensor record in the pickle — the file is damaged`);
    }
    return tensor(new TorchTensorRecord(storage, offset as number, size.items as number[], stride.items as number[]));
  };
  const parameter = (args: unknown[]): unknown => args[0];
  const emptyDict = (): Map<unknown, unknown> => new Map();
  // set(list): modules pickle their non-persistent buffer names as one. A1111's unpickler allows
  // only `__builtin__.set` (the protocol-2 name); `builtins.set` (protocol 3+) builds the same list here, and runs nothing.
  const set = (args: unknown[]): unknown[] => (Array.isArray(args[0]) ? [...args[0]] : []);
  const calls = new Map<string, (args: unknown[], global: PickleGlobal) => unknown>([
    ['collections.OrderedDict', emptyDict],
    ['builtins.dict', emptyDict],
    ['builtins.set', set],
    ['__builtin__.set', set],
    ['torch._utils._rebuild_tensor_v2', rebuildTensor],
    ['torch._utils._rebuild_tensor', rebuildTensor],
    ['torch._utils._rebuild_parameter', parameter],
    ['torch._utils._rebuild_parameter_with_state', parameter],
    // old A1111 embeddings pickle string_to_param as a ParameterDict: kept as its state, see parameterDictContents
    ['torch.nn.modules.container.ParameterDict', (args, global) => new InertObject(global, new PickleTuple(args))],
  ]);
  return readPickle(archive.pickle, what, {
    calls,
    otherCalls: options.otherCalls,
    persistentLoad(id) {
      // ('storage', torch.<Type>Storage, key, location, numel)
      const items = id instanceof PickleTuple ? id.items : [];
      if (items[0] !== 'storage' || !(items[1] instanceof PickleGlobal)) throw pickleRefusal(what, 'the pickle references external data that is not a torch storage');
      const type = items[1] as PickleGlobal;
      const dtype = storageDtypes.get(type.name);
      if (!dtype) throw new Error(`${what}: storage type ${type.path} is not supported`);
      return new TorchStorageRecord(dtype, String(items[2]));
    },
  });
}

/** A ParameterDict's parameters (old A1111 files), or the value itself when it is none. */
export function parameterDictContents(value: unknown): unknown {
  if (value instanceof InertObject && value.global.path === 'torch.nn.modules.container.ParameterDict' && value.state instanceof Map) return value.state.get('_parameters');
  return value;
}
