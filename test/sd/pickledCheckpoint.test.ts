import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { openPickledCheckpoint } from '../../src/sd/pickledCheckpoint';
import { loadCheckpoint } from '../../src/sd/checkpoint';
import { openSafetensors } from '../../src/sd/safetensors';
import { inferSd1Architecture } from '../../src/sd/architecture';
import { timeLimits } from '../support/timeLimits';
// independent writers from the trainer's embedding code: torch.save's zip + protocol-2 pickle
import { encodeTorchSave, TorchTensor, type PickleValue } from '../../src/train/torchPickle';
import { crc32, writeStoredZip } from '../../src/sd/zipArchive';

const fixture = join(__dirname, '../fixtures/sd1-tiny/model.safetensors');
const scratch = mkdtempSync(join(tmpdir(), 'pickled-checkpoint-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

test('a torch.save .ckpt of the fixture loads lazily with every tensor equal to the safetensors one', () => {
  const source = openSafetensors(fixture);
  const stateDict: { [key: string]: PickleValue } = {};
  for (const info of source.tensors.values()) {
    if (info.dtype === 'F32') stateDict[info.name] = new TorchTensor(info.shape, source.readFloat32(info.name));
  }
  const ckptPath = join(scratch, 'tiny.ckpt');
  writeFileSync(ckptPath, encodeTorchSave({ state_dict: stateDict, global_step: 470000, epoch: 3 }));
  const ckpt = loadCheckpoint(ckptPath);
  try {
    assert.equal(ckpt.name, 'tiny');
    let compared = 0;
    for (const info of source.tensors.values()) {
      if (info.dtype !== 'F32') continue;
      const mapped = ckpt.tensors.get(info.name)!;
      assert.equal(mapped.file, ckptPath);
      assert.deepEqual(mapped.shape, info.shape);
      assert.deepEqual(ckpt.readFloat32(info.name), source.readFloat32(info.name), info.name);
      compared++;
    }
    assert.equal(compared, source.tensors.size - 1);
    const heads = { textHeads: 4, unetHeads: 2 };
    assert.deepEqual({ ...inferSd1Architecture(ckpt, heads) }, { ...inferSd1Architecture(source, heads) });
  } finally {
    ckpt.close();
    source.close();
  }
});

const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: timeLimits.command }).status === 0;

test('a .ckpt written by torch.save: fp16/bf16/int64, a tensor at an offset of a shared storage, Lightning-style extras inert', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
  const path = join(scratch, 'torch-written.ckpt');
  const marker = join(scratch, 'torch-pwned');
  execFileSync(python, ['-c', `import torch, sys, os, argparse
class Evil:
    def __reduce__(self): return (os.system, ('touch ' + sys.argv[2],))
base = torch.arange(12, dtype=torch.float32) / 4
state = {'base': base, 'tail': base[4:10].reshape(2, 3), 'half': (torch.arange(6) / 2).half().reshape(3, 2),
         'bf': (torch.arange(4) / 8).bfloat16(), 'steps': torch.arange(3)}
torch.save({'state_dict': state, 'global_step': 470000, 'hparams': argparse.Namespace(lr=1e-4), 'callbacks': Evil()}, sys.argv[1])`, path, marker]);
  const file = openPickledCheckpoint(path);
  try {
    const read = (name: string) => [...file.readFloat32(name)];
    assert.deepEqual([...file.tensors.keys()], ['base', 'tail', 'half', 'bf', 'steps']);
    assert.deepEqual(read('base'), Array.from({ length: 12 }, (_, i) => i / 4));
    assert.deepEqual(read('tail'), [4, 5, 6, 7, 8, 9].map((i) => i / 4));
    assert.deepEqual(file.tensors.get('tail')!.shape, [2, 3]);
    assert.equal(file.tensors.get('tail')!.fileOffset, file.tensors.get('base')!.fileOffset + 16, 'one storage, read at element 4');
    assert.deepEqual([file.tensors.get('half')!.dtype, file.tensors.get('bf')!.dtype, file.tensors.get('steps')!.dtype], ['F16', 'BF16', 'I64']);
    assert.deepEqual(read('half'), [0, 0.5, 1, 1.5, 2, 2.5]);
    assert.deepEqual(read('bf'), [0, 0.125, 0.25, 0.375]);
    assert.deepEqual(read('steps'), [0, 1, 2]);
  } finally {
    file.close();
  }
  assert.equal(existsSync(marker), false, 'nothing was executed');
});

// ---- hand-written pickles -----------------------------------------------------------------
const op = (...bytes: number[]): Buffer => Buffer.from(bytes);
const str = (s: string): Buffer => Buffer.concat([op(0x8c, Buffer.byteLength(s)), Buffer.from(s)]); // SHORT_BINUNICODE
const global = (module: string, name: string): Buffer => Buffer.from(`c${module}\n${name}\n`);
const int = (n: number): Buffer => op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff); // BININT
const intTuple = (values: number[]): Buffer => Buffer.concat([op(0x28), ...values.map(int), op(0x74)]);
/** _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()) with a persistent storage id. */
function tensor(storageType: string, key: string, numel: number, offset: number, size: number[], stride: number[]): Buffer {
  return Buffer.concat([
    global('torch._utils', '_rebuild_tensor_v2'),
    op(0x28), // MARK (args)
    op(0x28), str('storage'), global('torch', storageType), str(key), str('cpu'), int(numel), op(0x74), op(0x51), // BINPERSID
    int(offset), intTuple(size), intTuple(stride), op(0x89),
    global('collections', 'OrderedDict'), op(0x29), op(0x52), // OrderedDict()
    op(0x74), op(0x52), // TUPLE, REDUCE
  ]);
}

function writeCkpt(name: string, pickle: Buffer, storages: Record<string, Uint8Array>): string {
  const path = join(scratch, name);
  writeFileSync(path, writeStoredZip([
    { name: 'model/data.pkl', data: pickle },
    ...Object.entries(storages).map(([key, data]) => ({ name: `model/data/${key}`, data })),
    { name: 'model/version', data: Buffer.from('3\n') },
  ]));
  return path;
}

test('fp16 storage with an offset, OrderedDict, memo, and globals kept inert (never run)', () => {
  const marker = join(scratch, 'pwned');
  // storage "0": 6 halves [1, 2, 3, 4, 5, 6]; the tensor is elements 2..5 as [2, 2]
  const halves = Uint16Array.from([0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600]);
  const pickle = Buffer.concat([
    op(0x80, 2), op(0x7d), op(0x71, 0), // PROTO 2, EMPTY_DICT, BINPUT 0
    op(0x28), // MARK (SETITEMS of the root dict)
    str('callbacks'), global('os', 'system'), str(`touch ${marker}`), op(0x85), op(0x52), // os.system(...) as data only
    str('global_step'), op(0x8a, 3, 0x30, 0x2c, 0x07), // LONG1 470064
    str('state_dict'), global('collections', 'OrderedDict'), op(0x29), op(0x52), op(0x71, 1),
    op(0x75), // SETITEMS (root)
    op(0x68, 1), // BINGET 1 → the OrderedDict again
    op(0x28), str('w'), tensor('HalfStorage', '0', 6, 2, [2, 2], [2, 1]), op(0x75),
    op(0x30), op(0x2e), // POP the OrderedDict, STOP: the root dict is the result
  ]);
  const path = writeCkpt('half.ckpt', pickle, { 0: new Uint8Array(halves.buffer) });
  const file = openPickledCheckpoint(path);
  try {
    assert.deepEqual([...file.tensors.keys()], ['w']);
    assert.equal(file.tensors.get('w')!.dtype, 'F16');
    assert.deepEqual([...file.readFloat32('w')], [3, 4, 5, 6]);
  } finally {
    file.close();
  }
  assert.equal(existsSync(marker), false, 'nothing was executed');
});

test('refusals: views, missing storages, legacy format, unknown opcodes', () => {
  const view = writeCkpt('view.ckpt', Buffer.concat([op(0x80, 2), op(0x7d), op(0x28), str('t'), tensor('FloatStorage', '0', 4, 0, [2, 2], [1, 2]), op(0x75), op(0x2e)]), { 0: new Uint8Array(16) });
  assert.throws(() => openPickledCheckpoint(view), /view\.ckpt: tensor `t` is not contiguous/);
  const missing = writeCkpt('missing.ckpt', Buffer.concat([op(0x80, 2), op(0x7d), op(0x28), str('t'), tensor('FloatStorage', '7', 4, 0, [4], [1]), op(0x75), op(0x2e)]), {});
  assert.throws(() => openPickledCheckpoint(missing), /missing\.ckpt: tensor `t`: its data \(data\/7\) is not in the zip/);
  const tooShort = writeCkpt('short.ckpt', Buffer.concat([op(0x80, 2), op(0x7d), op(0x28), str('t'), tensor('FloatStorage', '0', 4, 2, [4], [1]), op(0x75), op(0x2e)]), { 0: new Uint8Array(16) });
  assert.throws(() => openPickledCheckpoint(tooShort), /short\.ckpt: tensor `t` reaches past its storage/);
  const legacy = join(scratch, 'legacy.pt');
  writeFileSync(legacy, op(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19));
  assert.throws(() => openPickledCheckpoint(legacy), /legacy \(pre-1\.6\) PyTorch file/);
  const strange = writeCkpt('strange.ckpt', Buffer.concat([op(0x80, 2), op(0x7d), op(0x28), str('t'), op(0x49), op(0x75), op(0x2e)]), {});
  assert.throws(() => openPickledCheckpoint(strange), /strange\.ckpt: pickle opcode 0x49 at byte \d+ is not supported/);
  const proto = writeCkpt('proto.ckpt', Buffer.concat([op(0x80, 2), op(0x7d), op(0x28), str('t'), tensor('constructor', '0', 4, 0, [4], [1]), op(0x75), op(0x2e)]), { 0: new Uint8Array(16) });
  assert.throws(() => openPickledCheckpoint(proto), /proto\.ckpt: storage type torch\.constructor is not supported/);
  const bigEndian = join(scratch, 'big-endian.ckpt');
  const fine = Buffer.concat([op(0x80, 2), op(0x7d), op(0x28), str('t'), tensor('FloatStorage', '0', 4, 0, [4], [1]), op(0x75), op(0x2e)]);
  writeFileSync(bigEndian, writeStoredZip([{ name: 'm/data.pkl', data: fine }, { name: 'm/byteorder', data: Buffer.from('big') }, { name: 'm/data/0', data: new Uint8Array(16) }]));
  assert.throws(() => openPickledCheckpoint(bigEndian), /big-endian\.ckpt: its tensors are big-endian/);
  assert.throws(() => loadCheckpoint(legacy), /legacy\.pt: this pickled PyTorch checkpoint .* could not be read safely \(a legacy \(pre-1\.6\) PyTorch file.*Checkpoint Merger/);
});

test('a checkpoint over 4 GiB (ZIP64, sparse on disk) is read by offsets, never whole', () => {
  // storage 0 holds 2^30 + 16 floats (4 GiB + 64 bytes, all zero but the 4 read at 4 GiB + 32);
  // storage 1 sits after it, so its record's offset and the directory need ZIP64 too
  const farOffset = 2 ** 30 + 8;
  const far = Float32Array.from([1.5, -2, 3.25, 4]);
  const near = Float32Array.from([5, 6, 7, 8]);
  const pickle = Buffer.concat([
    op(0x80, 2), op(0x7d), op(0x28),
    str('far'), tensor('FloatStorage', '0', 2 ** 30 + 16, farOffset, [4], [1]),
    str('near'), tensor('FloatStorage', '1', 4, 0, [2, 2], [2, 1]),
    op(0x75), op(0x2e),
  ]);
  const path = join(scratch, 'huge.ckpt');
  writeSparseZip64(path, [
    { name: 'huge/data.pkl', size: pickle.length, parts: [[0, pickle]] },
    { name: 'huge/data/0', size: (2 ** 30 + 16) * 4, parts: [[farOffset * 4, Buffer.from(far.buffer)]] },
    { name: 'huge/data/1', size: 16, parts: [[0, Buffer.from(near.buffer)]] },
  ]);
  const file = openPickledCheckpoint(path);
  try {
    assert.ok(file.tensors.get('far')!.fileOffset > 2 ** 32);
    assert.ok(file.tensors.get('near')!.fileOffset > 2 ** 32 + 64);
    assert.deepEqual([...file.readFloat32('far')], [...far]);
    assert.deepEqual([...file.readFloat32('near')], [...near]);
    assert.deepEqual(file.tensors.get('near')!.shape, [2, 2]);
  } finally {
    file.close();
    rmSync(path);
  }
});

/**
 * A ZIP64 archive written by the spec (APPNOTE 4.3.9, 4.4.3, 4.5.3, 4.3.14-16) with data
 * descriptors, where only the `parts` of each record are written: the rest stays a hole.
 * A record with holes gets CRC 0: the lazy reader reads tensors by offset and never checks it.
 */
function writeSparseZip64(path: string, records: { name: string; size: number; parts: [number, Buffer][] }[]): void {
  const fd = openSync(path, 'w');
  let position = 0;
  const put = (bytes: Buffer, at = position): void => {
    writeSync(fd, bytes, 0, bytes.length, at);
    if (at === position) position += bytes.length;
  };
  const u64 = (value: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    return b;
  };
  const central: Buffer[] = [];
  try {
    for (const record of records) {
      const name = Buffer.from(record.name);
      const whole = record.parts.length === 1 && record.parts[0][0] === 0 && record.parts[0][1].length === record.size;
      const crc = whole ? crc32(record.parts[0][1]) : 0;
      const headerOffset = position;
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(45, 4); // version 4.5: ZIP64
      local.writeUInt16LE(0x08, 6); // sizes in the data descriptor
      local.writeUInt16LE(name.length, 26);
      put(Buffer.concat([local, name]));
      const dataStart = position;
      for (const [at, bytes] of record.parts) put(bytes, dataStart + at);
      position = dataStart + record.size;
      const descriptor = Buffer.alloc(4);
      descriptor.writeUInt32LE(0x08074b50);
      const crcBytes = Buffer.alloc(4);
      crcBytes.writeUInt32LE(crc);
      put(Buffer.concat([descriptor, crcBytes, u64(record.size), u64(record.size)]));
      const bigSize = record.size >= 0xffffffff;
      const bigOffset = headerOffset >= 0xffffffff;
      const zip64Values = [...(bigSize ? [u64(record.size), u64(record.size)] : []), ...(bigOffset ? [u64(headerOffset)] : [])];
      const extra = Buffer.alloc(4);
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(8 * zip64Values.length, 2);
      const extraBytes = zip64Values.length ? Buffer.concat([extra, ...zip64Values]) : Buffer.alloc(0);
      const entry = Buffer.alloc(46);
      entry.writeUInt32LE(0x02014b50, 0);
      entry.writeUInt16LE(45, 4);
      entry.writeUInt16LE(45, 6);
      entry.writeUInt16LE(0x08, 8);
      entry.writeUInt32LE(crc, 16);
      entry.writeUInt32LE(bigSize ? 0xffffffff : record.size, 20);
      entry.writeUInt32LE(bigSize ? 0xffffffff : record.size, 24);
      entry.writeUInt16LE(name.length, 28);
      entry.writeUInt16LE(extraBytes.length, 30);
      entry.writeUInt32LE(bigOffset ? 0xffffffff : headerOffset, 42);
      central.push(entry, name, extraBytes);
    }
    const directoryOffset = position;
    const directory = Buffer.concat(central);
    put(directory);
    const zip64EndOffset = position;
    const zip64End = Buffer.alloc(56);
    zip64End.writeUInt32LE(0x06064b50, 0);
    zip64End.writeBigUInt64LE(44n, 4); // size of the rest of this record
    zip64End.writeUInt16LE(45, 12);
    zip64End.writeUInt16LE(45, 14);
    zip64End.writeBigUInt64LE(BigInt(records.length), 24);
    zip64End.writeBigUInt64LE(BigInt(records.length), 32);
    zip64End.writeBigUInt64LE(BigInt(directory.length), 40);
    zip64End.writeBigUInt64LE(BigInt(directoryOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(zip64EndOffset), 8);
    locator.writeUInt32LE(1, 16); // total disks
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(records.length, 8);
    end.writeUInt16LE(records.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(0xffffffff, 16); // the directory starts past 4 GiB: in the ZIP64 record only
    put(Buffer.concat([zip64End, locator, end]));
  } finally {
    closeSync(fd);
  }
}
