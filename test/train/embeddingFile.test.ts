import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readEmbeddingFile, writeEmbeddingPt, writeEmbeddingSafetensors, type Embedding } from '../../src/train/embeddingFile';
import { writeSafetensors } from '../../src/sd/safetensors';
import { encodeTorchSave, decodeTorchSave, TorchTensor } from '../../src/train/torchPickle';
import { readZip, writeStoredZip } from '../../src/sd/zipArchive';
import { timeLimits } from '../support/timeLimits';
import { scratchFolder } from '../support/scratchFolder';

const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: timeLimits.command }).status === 0;
const dir = scratchFolder('emb-');

function sample(): Embedding {
  const vectors = new Float32Array(3 * 4).map((_, i) => (i - 5) / 7);
  return { name: 'miku', vectors, count: 3, width: 4, step: 1500, checkpointHash: 'a1b2c3d4', checkpointName: 'anything-v3' };
}

test('safetensors embedding: one F32 tensor emb_params [vectors, width] with metadata', () => {
  const path = join(dir, 'miku.safetensors');
  writeEmbeddingSafetensors(path, sample());
  const bytes = readFileSync(path);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
  assert.deepEqual(Object.keys(header).sort(), ['__metadata__', 'emb_params']);
  assert.deepEqual(header.emb_params.shape, [3, 4]);
  assert.equal(header.emb_params.dtype, 'F32');
  assert.equal(header.__metadata__.step, '1500');
  const back = readEmbeddingFile(path);
  assert.deepEqual([...back.vectors], [...sample().vectors]);
  assert.equal(back.step, 1500);
  assert.equal(back.name, 'miku');
});

test('reads emp_params (OneTrainer), a diffusers {placeholder: tensor} and refuses SDXL pairs', () => {
  const data = new Float32Array([1, 2, 3, 4]);
  writeSafetensors(join(dir, 'one.safetensors'), [{ name: 'emp_params', dtype: 'F32', shape: [2, 2], data }]);
  assert.deepEqual([readEmbeddingFile(join(dir, 'one.safetensors')).count, readEmbeddingFile(join(dir, 'one.safetensors')).width], [2, 2]);
  writeSafetensors(join(dir, 'diffusers.safetensors'), [{ name: '<cat-toy>', dtype: 'F32', shape: [4], data }]);
  const d = readEmbeddingFile(join(dir, 'diffusers.safetensors'));
  assert.deepEqual([d.count, d.width, d.name], [1, 4, 'diffusers']);
  writeSafetensors(join(dir, 'xl.safetensors'), [
    { name: 'clip_l', dtype: 'F32', shape: [1, 4], data },
    { name: 'clip_g', dtype: 'F32', shape: [1, 4], data },
  ]);
  assert.throws(() => readEmbeddingFile(join(dir, 'xl.safetensors')), /SDXL embedding/);
});

test('our .pt round-trips through our reader, with A1111 torch zip records', () => {
  const path = join(dir, 'miku.pt');
  writeEmbeddingPt(path, sample());
  const names = [...readZip(readFileSync(path), path).keys()];
  assert.deepEqual(names, ['archive/data.pkl', 'archive/byteorder', 'archive/data/0', 'archive/version']);
  const back = readEmbeddingFile(path);
  assert.deepEqual([...back.vectors], [...sample().vectors]);
  assert.deepEqual([back.count, back.width, back.step, back.checkpointHash, back.checkpointName], [3, 4, 1500, 'a1b2c3d4', 'anything-v3']);
});

test('the reader refuses pickles that call anything but tensor rebuilding, and damaged storages', () => {
  // GLOBAL os.system, then REDUCE: the classic pickle exploit
  const evil = Buffer.from([0x80, 0x02, 0x63, ...Buffer.from('os\nsystem\n'), 0x58, 4, 0, 0, 0, ...Buffer.from('true'), 0x85, 0x52, 0x2e]);
  const zip = encodeTorchSave({}); // a valid archive; swap its pickle
  const records = readZip(zip, 'x');
  assert.ok(records.has('archive/data.pkl'));
  const bad = writeStoredZip([{ name: 'archive/data.pkl', data: evil }]);
  assert.throws(() => decodeTorchSave(bad, 'evil.pt'), /evil\.pt: refused to load — the file calls os\.system/);
  const parts = readZip(encodeTorchSave({ t: new TorchTensor([2], Float32Array.from([1, 2])) }), 'x');
  const odd = writeStoredZip([...parts].map(([name, data]) => ({ name, data: name.endsWith('data/0') ? data.subarray(0, 7) : data })));
  assert.throws(() => decodeTorchSave(odd, 'odd.pt'), /odd\.pt: storage 0 holds 7 bytes, not a whole number of F32 values — the file is damaged/);
});

test('an archive with two data.pkl files is refused as ambiguous (A1111: "Multiple data.pkl found"), not read at random', () => {
  const good = readZip(encodeTorchSave({ string_to_param: { '*': new TorchTensor([1, 2], Float32Array.from([1, 2])) } }), 'x');
  const other = readZip(encodeTorchSave({ string_to_param: { '*': new TorchTensor([1, 2], Float32Array.from([9, 9])) } }), 'x');
  const twoPickles = writeStoredZip([...[...good].map(([name, data]) => ({ name, data })), ...[...other].map(([name, data]) => ({ name: name.replace('archive/', 'other/'), data }))]);
  assert.throws(() => decodeTorchSave(twoPickles, 'two.pt'), /two\.pt: the ZIP holds 2 data\.pkl files \(archive\/data\.pkl, other\/data\.pkl\), so what it contains is ambiguous — AUTOMATIC1111 refuses it as well/);
});

// A1111's modules/safe.py restricted unpickler, reduced to its decision: the zip record names
// and the globals it allows. If our file passes this and torch.load reads it, A1111 loads it.
const a1111Check = `
import sys, zipfile, re, pickle, collections, torch
allowed = {('collections','OrderedDict'), ('torch._utils','_rebuild_tensor_v2'), ('torch._utils','_rebuild_parameter'),
  ('torch._utils','_rebuild_device_tensor_from_numpy'), ('torch','FloatStorage'), ('torch','HalfStorage'), ('torch','IntStorage'),
  ('torch','LongStorage'), ('torch','DoubleStorage'), ('torch','ByteStorage'), ('torch','BFloat16Storage'),
  ('torch._tensor','_rebuild_from_type_v2'), ('torch.nn.modules.container','ParameterDict')}
class Restricted(pickle.Unpickler):
    def persistent_load(self, saved_id):
        assert saved_id[0] == 'storage'
        return torch.storage.TypedStorage()
    def find_class(self, module, name):
        if (module, name) not in allowed: raise Exception(f'global {module}.{name} is forbidden')
        return super().find_class(module, name)
path = sys.argv[1]
with zipfile.ZipFile(path) as z:
    names = z.namelist()
    allowed_name = re.compile(r"^([^/]+)/((data/\\d+)|version|byteorder|(\\.data/serialization_id)|(data\\.pkl))$")
    for n in names: assert allowed_name.match(n), n
    assert len({n.split('/')[0] for n in names}) == 1
    Restricted(z.open([n for n in names if n.endswith('data.pkl')][0])).load()
d = torch.load(path, map_location='cpu')
p = d['string_to_param']['*']
print(d['string_to_token'], d['name'], d['step'], d['sd_checkpoint'], d['sd_checkpoint_name'], tuple(p.shape), p.dtype, ','.join(f'{v:.6f}' for v in p.flatten().tolist()))
`;

test('PyTorch and the A1111 restricted unpickler accept our .pt', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
  const path = join(dir, 'miku-a1111.pt');
  writeEmbeddingPt(path, sample());
  const out = execFileSync(python, ['-c', a1111Check, path], { encoding: 'utf8', timeout: timeLimits.command }).trim();
  const expectedValues = [...sample().vectors].map((v) => v.toFixed(6)).join(',');
  assert.equal(out, `{'*': 265} miku 1500 a1b2c3d4 anything-v3 (3, 4) torch.float32 ${expectedValues}`);
});

test('reads a .pt written by torch.save (Parameter, fp16 and a transposed view)', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
  const path = join(dir, 'from-torch.pt');
  execFileSync(python, [
    '-c',
    `import torch, sys
v = torch.arange(12, dtype=torch.float32).reshape(4, 3).t() / 8  # [3, 4], non-contiguous
torch.save({'string_to_token': {'*': 265}, 'string_to_param': {'*': torch.nn.Parameter(v.half(), requires_grad=True)}, 'name': 'fromtorch', 'step': 42, 'sd_checkpoint': None, 'sd_checkpoint_name': None}, sys.argv[1])`,
    path,
  ]);
  const e = readEmbeddingFile(path);
  assert.deepEqual([e.count, e.width, e.step, e.name, e.checkpointHash], [3, 4, 42, 'fromtorch', null]);
  // row r, column c of the transpose is original[c][r] = (3c + r) / 8
  const expected = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expected.push((3 * c + r) / 8);
  assert.deepEqual([...e.vectors], expected);
});

test('reads an old-style ParameterDict .pt from torch.save, and refuses one that carries any other object', { skip: !hasTorch && 'python3-torch is not installed' }, () => {
  const path = join(dir, 'parameter-dict.pt');
  const other = join(dir, 'with-namespace.pt');
  execFileSync(python, [
    '-c',
    `import torch, sys, argparse
p = torch.nn.ParameterDict({'*': torch.nn.Parameter(torch.arange(8, dtype=torch.float32).reshape(2, 4) / 4)})
torch.save({'string_to_token': {'*': 265}, 'string_to_param': p, 'name': 'old', 'step': 7}, sys.argv[1])
torch.save({'string_to_param': {'*': torch.ones(1, 4)}, 'hparams': argparse.Namespace(lr=1)}, sys.argv[2])`,
    path,
    other,
  ]);
  const e = readEmbeddingFile(path);
  assert.deepEqual([e.count, e.width, e.step, e.name], [2, 4, 7, 'old']);
  assert.deepEqual([...e.vectors], [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75]);
  assert.throws(() => readEmbeddingFile(other), /with-namespace\.pt: refused to load — the file creates argparse\.Namespace/);
});

test('a truncated or non-embedding file names itself and the problem', () => {
  const path = join(dir, 'broken.pt');
  const good = readFileSync(join(dir, 'miku.pt'));
  writeFileSync(path, good.subarray(0, good.length - 30));
  assert.throws(() => readEmbeddingFile(path), /broken\.pt: not a zip-format PyTorch file \(the ZIP directory is missing\)/);
});
