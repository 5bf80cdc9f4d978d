import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPickledCheckpoint } from '../../src/sd/pickledCheckpoint';
import { loadCheckpoint } from '../../src/sd/checkpoint';
import { openSafetensors } from '../../src/sd/safetensors';
import { inferSd1Architecture } from '../../src/sd/architecture';
// independent writers from the trainer's embedding code: torch.save's zip + protocol-2 pickle
import { encodeTorchSave, TorchTensor, type PickleValue } from '../../src/train/torchPickle';
import { writeStoredZip } from '../../src/sd/zipArchive';

const fixture = join(__dirname, '../../../shared/fixtures/sd1-tiny/model.safetensors');
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
  assert.throws(() => loadCheckpoint(legacy), /legacy\.pt: this pickled PyTorch checkpoint .* could not be read safely \(a legacy \(pre-1\.6\) PyTorch file.*Checkpoint Merger/);
});
