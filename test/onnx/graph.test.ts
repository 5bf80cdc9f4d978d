// The builder: shape inference and its errors, what the ops compute (hand-worked values, run in
// ORT), serialisation details and the debug dump.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { Graph, HostTensor, ShapeError, Value, createSession, describeGraph, float32ToFloat16Bits, serializeModel } from '../../src/onnx/index';

async function evaluate(g: Graph, outputs: Record<string, Value>, feeds: Record<string, HostTensor> = {}): Promise<Record<string, number[]>> {
  for (const [name, v] of Object.entries(outputs)) g.output(v, name);
  const s = await createSession(serializeModel(g), { provider: 'cpu' });
  try {
    const out = await s.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data as Float32Array, Number)]));
  } finally {
    await s.release();
  }
}

test('shape mismatches name the op and both shapes', () => {
  const g = new Graph();
  const a = g.input('a', 'float32', [2, 3]);
  const b = g.input('b', 'float32', [4, 5]);
  assert.throws(() => g.matMul(a, b), (e: Error) => e instanceof ShapeError && /MatMul: shapes \[2,3\] and \[4,5\] do not match/.test(e.message));
  assert.throws(() => g.add(a, b), /Add: shapes \[2,3\] and \[4,5\] cannot be broadcast together/);
  const x = g.input('x', 'float32', [1, 3, 8, 8]);
  const w = g.input('w', 'float32', [4, 2, 3, 3]);
  assert.throws(() => g.conv(x, w), /Conv: input \[1,3,8,8\] has 3 channels but weight \[4,2,3,3\]/);
  assert.throws(() => g.reshape(a, [4, 2]), /Reshape: cannot reshape \[2,3\] \(6 elements\) to \[4,2\]/);
  assert.throws(() => g.groupNorm(x, g.input('s', 'float32', [2]), g.input('t', 'float32', [2]), 3), /GroupNormalization: 3 channels of \[1,3,8,8\] not divisible into 3 groups|GroupNormalization: scale\/bias \[2\] must be \[3\]/);
  assert.throws(() => g.concat([a, b], 0), /Concat: shapes \[2,3\] and \[4,5\] differ outside axis 0/);
  const d = g.input('d', 'float64', [2, 3]);
  assert.throws(() => g.add(a, d), /Add: dtype mismatch: a is float32\[2,3\], d is float64\[2,3\]/);
});

test('shape inference of the SD ops', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 4, 9, 8]);
  assert.deepEqual(g.conv(x, g.input('w', 'float32', [6, 4, 3, 3]), undefined, { strides: [2, 2], pads: [1, 1, 1, 1] }).shape, [2, 6, 5, 4]);
  assert.deepEqual(g.convTranspose(x, g.input('wt', 'float32', [4, 3, 4, 4]), undefined, { strides: [2, 2], pads: [1, 1, 1, 1] }).shape, [2, 3, 18, 16]);
  assert.deepEqual(g.resizeNearest2x(x).shape, [2, 4, 18, 16]);
  assert.deepEqual(g.matMul(g.input('q', 'float32', [2, 8, 77, 40]), g.input('k', 'float32', [2, 8, 40, 77])).shape, [2, 8, 77, 77]);
  assert.deepEqual(g.gather(g.input('table', 'float32', [100, 16]), g.input('ids', 'int64', [1, 77]), 0).shape, [1, 77, 16]);
  assert.deepEqual(g.slice(x, [1, -3], [100, -1], [2, 3]).shape, [2, 4, 8, 2]);
  assert.deepEqual(g.split(x, [1, 3], 1).map((v) => v.shape), [[2, 1, 9, 8], [2, 3, 9, 8]]);
  assert.deepEqual(g.reduceMean(x, [1, -1], false).shape, [2, 9]);
  assert.deepEqual(g.unsqueeze(g.input('t', 'float32', [3]), [0, -1]).shape, [1, 3, 1]);
  assert.deepEqual(g.reshape(x, [2, 0, -1]).shape, [2, 4, 72]);
  assert.deepEqual(g.gemm(g.input('ga', 'float32', [5, 3]), g.input('gb', 'float32', [4, 5]), undefined, { transA: true, transB: true }).shape, [3, 4]);
});

test('ops compute the hand-worked values', async () => {
  const g = new Graph();
  const img = g.constant([1, 2, 3, 4], [1, 1, 2, 2], 'float32');
  const up = g.resizeNearest2x(img);
  // 3×3 all-ones kernel with padding 1 on [[1,2],[3,4]]: every output sees all four pixels.
  const conv = g.conv(img, g.constant(new Array(9).fill(1), [1, 1, 3, 3], 'float32'), g.constant([0.5], [1], 'float32'), { pads: [1, 1, 1, 1] });
  const table = g.constant([0, 1, 10, 11, 20, 21], [3, 2], 'float32');
  const gathered = g.gather(table, g.constant([2, 0], [2], 'int64'), 0);
  const gelu = g.gelu(g.constant([-1, 0, 1], [3], 'float32'));
  const ln = g.layerNorm(g.constant([1, 3], [1, 2], 'float32'), g.constant([2, 2], [2], 'float32'), g.constant([1, 1], [2], 'float32'), -1, 0);
  const gn = g.groupNorm(g.constant([1, 3, 5, 5], [1, 2, 2], 'float32'), g.constant([1, 10], [2], 'float32'), g.constant([0, 1], [2], 'float32'), 2, 1e-12);
  const sliced = g.slice(g.constant([0, 1, 2, 3, 4], [5], 'float32'), [-4], [4]);
  const out = await evaluate(g, { up, conv, gathered, gelu, ln, gn, sliced });
  assert.deepEqual(out.up, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  assert.deepEqual(out.conv, [10.5, 10.5, 10.5, 10.5]);
  assert.deepEqual(out.gathered, [20, 21, 0, 1]);
  // GELU(±1) = ±1·Φ(±1), Φ(1) = 0.841344746
  assert.ok(Math.abs(out.gelu[0] + 0.158655254) < 1e-6 && out.gelu[1] === 0 && Math.abs(out.gelu[2] - 0.841344746) < 1e-6);
  assert.deepEqual(out.ln, [-1, 3]);
  // Group 0 = [1,3] -> [-1,1]; group 1 = [5,5] has zero variance -> 0, then ·10 + 1.
  assert.deepEqual(out.gn, [-1, 1, 1, 1]);
  assert.deepEqual(out.sliced, [1, 2, 3]);
});

test('serialisation: opset, IR, external initialisers by offset/length, only live nodes', () => {
  const g = new Graph('ext');
  const x = g.input('x', 'float32', [2]);
  const w = g.externalTensor('unet.w', { dtype: 'float16', shape: [2], location: 'model.safetensors', offset: 1234567, length: 4 });
  g.exp(x); // dead branch: must not be written
  g.output(g.mul(x, g.cast(w, 'float32')), 'y');
  const model = onnx.ModelProto.decode(serializeModel(g));
  assert.equal(Number(model.irVersion), 10);
  assert.equal(Number(model.opsetImport[0].version), 21);
  assert.deepEqual((model.graph?.node ?? []).map((n) => n.opType), ['Cast', 'Mul']);
  const init = (model.graph?.initializer ?? [])[0];
  assert.equal(init.name, 'unet.w');
  assert.equal(init.dataType, 10);
  assert.equal(init.dataLocation, onnx.TensorProto.DataLocation.EXTERNAL);
  assert.deepEqual(Object.fromEntries((init.externalData ?? []).map((e) => [e.key, e.value])), { location: 'model.safetensors', offset: '1234567', length: '4' });
  assert.equal(init.rawData?.length ?? 0, 0);
});

test('external tensors are checked against their byte length and location', () => {
  const g = new Graph();
  assert.throws(() => g.externalTensor('w', { dtype: 'float32', shape: [3], location: 'a.bin', offset: 0, length: 6 }), /6 bytes .* float32\[3\] needs 12/);
  assert.throws(() => g.externalTensor('w', { dtype: 'float32', shape: [1], location: '../a.bin', offset: 0, length: 4 }), /must be a plain path inside the model's folder/);
  assert.throws(() => g.externalTensor('w', { dtype: 'float32', shape: [1], location: '/abs/a.bin', offset: 0, length: 4 }), /placeModelForCheckpoint/);
});

test('describeGraph lists op counts, parameter bytes and nodes', () => {
  const g = new Graph('demo');
  const x = g.input('x', 'float32', [1, 4]);
  const w = g.constant(new Array(16).fill(0.5), [4, 4], 'float32');
  const e = g.externalTensor('big', { dtype: 'float32', shape: [4], location: 'w.bin', offset: 0, length: 16 });
  g.output(g.add(g.matMul(g.matMul(x, w), w), e), 'y');
  const text = describeGraph(g);
  assert.match(text, /graph demo: 3 nodes, inline parameters 64 B, external parameters 16 B/);
  assert.match(text, /ops: MatMul×2 Add×1/);
  assert.match(text, /y:float32\[1,4\] = Add\(/);
});

test('output() renames produced values and wraps inputs in Identity', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2]);
  const y = g.exp(x);
  g.output(y, 'y');
  g.output(x, 'x_copy');
  assert.equal(y.name, 'y');
  const out = await evaluate(g, {}, { x: { dtype: 'float32', shape: [2], data: Float32Array.from([0, 1]) } });
  assert.deepEqual(out.x_copy, [0, 1]);
  assert.ok(Math.abs(out.y[1] - Math.E) < 1e-6);
});

test('float16 encoding rounds to nearest even, with subnormals and overflow (IEEE half bit patterns)', () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [1 / 3, 0x3555], [0, 0],
    [5.960464477539063e-8, 0x0001], [2e-8, 0], [1e6, 0x7c00], [-Infinity, 0xfc00],
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (1)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway, odd neighbour below: rounds up
  ];
  for (const [x, bits] of cases) assert.equal(float32ToFloat16Bits(x), bits, `${x}`);
  assert.ok(Number.isNaN(NaN) && (float32ToFloat16Bits(NaN) & 0x7c00) === 0x7c00 && (float32ToFloat16Bits(NaN) & 0x3ff) !== 0);
});
