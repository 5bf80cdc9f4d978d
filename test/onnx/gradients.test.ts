// One gradient check per rule, run in ONNX Runtime against finite differences (float64, every
// element) or, where ORT's CPU provider has no float64 kernel, float32 directional derivatives
// plus a dot-product (adjoint) test for the linear ops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, Value, differentiableOpTypes } from '../../src/onnx/index';
import { CheckCase, checkAdjoint, checkDirectional, checkFloat64 } from './gradientCheck';

type Case = Omit<CheckCase, 'dtype'>;

const float64Cases: Case[] = [
  { name: 'Add same shape', inputs: [{ shape: [2, 3] }, { shape: [2, 3] }], build: (g, [a, b]) => g.add(a, b) },
  { name: 'Add broadcast [2,3]+[3]', inputs: [{ shape: [2, 3] }, { shape: [3] }], build: (g, [a, b]) => g.add(a, b) },
  { name: 'Add broadcast both ways [4,1,3]+[2,1]', inputs: [{ shape: [4, 1, 3] }, { shape: [2, 1] }], build: (g, [a, b]) => g.add(a, b) },
  { name: 'Sub broadcast [2,3]-[1,3]', inputs: [{ shape: [2, 3] }, { shape: [1, 3] }], build: (g, [a, b]) => g.sub(a, b) },
  { name: 'Sub broadcast [3]-[2,3]', inputs: [{ shape: [3] }, { shape: [2, 3] }], build: (g, [a, b]) => g.sub(a, b) },
  { name: 'Mul broadcast [2,3]*[2,1]', inputs: [{ shape: [2, 3] }, { shape: [2, 1] }], build: (g, [a, b]) => g.mul(a, b) },
  { name: 'Mul by scalar input', inputs: [{ shape: [2, 3] }, { shape: [] }], build: (g, [a, b]) => g.mul(a, b) },
  { name: 'Mul same value twice (fan-out)', inputs: [{ shape: [5] }], build: (g, [a]) => g.mul(a, a) },
  { name: 'Div broadcast [2,3]/[3]', inputs: [{ shape: [2, 3] }, { shape: [3], kind: 'positive' }], build: (g, [a, b]) => g.div(a, b) },
  { name: 'Pow constant exponent 2', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.pow(a, g.scalar(2, 'float64')) },
  { name: 'Pow constant exponent 1.7', inputs: [{ shape: [2, 3], kind: 'positive' }], build: (g, [a]) => g.pow(a, g.scalar(1.7, 'float64')) },
  { name: 'Pow both inputs, broadcast exponent', inputs: [{ shape: [2, 3], kind: 'positive' }, { shape: [3] }], build: (g, [a, b]) => g.pow(a, b) },
  { name: 'Neg', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.neg(a) },
  { name: 'Sqrt', inputs: [{ shape: [2, 3], kind: 'positive' }], build: (g, [a]) => g.sqrt(a) },
  { name: 'Exp', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.exp(a) },
  { name: 'Log', inputs: [{ shape: [2, 3], kind: 'positive' }], build: (g, [a]) => g.log(a) },
  { name: 'Tanh', inputs: [{ shape: [2, 3], kind: 'spread' }], build: (g, [a]) => g.tanh(a) },
  { name: 'Sigmoid', inputs: [{ shape: [2, 3], kind: 'spread' }], build: (g, [a]) => g.sigmoid(a) },
  { name: 'Sin', inputs: [{ shape: [2, 3], kind: 'spread' }], build: (g, [a]) => g.sin(a) },
  { name: 'Cos', inputs: [{ shape: [2, 3], kind: 'spread' }], build: (g, [a]) => g.cos(a) },
  { name: 'Identity', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.exp(g.identity(a)) },
  { name: 'SiLU (composite)', inputs: [{ shape: [2, 4], kind: 'spread' }], build: (g, [a]) => g.silu(a) },
  { name: 'QuickGELU (composite)', inputs: [{ shape: [2, 4], kind: 'spread' }], build: (g, [a]) => g.quickGelu(a) },
  {
    name: 'Where with broadcast branches',
    inputs: [{ shape: [2, 3] }, { shape: [3] }],
    build: (g, [a, b]) => g.where(g.constant([1, 0, 1, 0, 0, 1], [2, 3], 'bool'), a, b),
  },
  { name: 'MatMul [2,3]x[3,4]', inputs: [{ shape: [2, 3] }, { shape: [3, 4] }], build: (g, [a, b]) => g.matMul(a, b) },
  { name: 'MatMul batched [2,2,3]x[3,4]', inputs: [{ shape: [2, 2, 3] }, { shape: [3, 4] }], build: (g, [a, b]) => g.matMul(a, b) },
  { name: 'MatMul batch broadcast [1,2,3]x[2,3,2]', inputs: [{ shape: [1, 2, 3] }, { shape: [2, 3, 2] }], build: (g, [a, b]) => g.matMul(a, b) },
  { name: 'MatMul matrix x batch [2,3]x[2,3,4]', inputs: [{ shape: [2, 3] }, { shape: [2, 3, 4] }], build: (g, [a, b]) => g.matMul(a, b) },
  { name: 'Softmax last axis', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.softmax(a, -1) },
  { name: 'Softmax axis 1', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.softmax(a, 1) },
  { name: 'ReduceMean axis 1 keepdims', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.reduceMean(a, [1], true) },
  { name: 'ReduceMean axes [0,2] no keepdims', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.reduceMean(a, [0, -1], false) },
  { name: 'ReduceMean all', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.reduceMean(a, undefined, false) },
  { name: 'ReduceSum axis -1 no keepdims', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.reduceSum(a, [-1], false) },
  { name: 'ReduceSum all keepdims', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.reduceSum(a, undefined, true) },
  {
    name: 'LayerNormalization last axis',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4] }, { shape: [4] }],
    build: (g, [x, s, b]) => g.layerNorm(x, s, b, -1, 1e-5),
  },
  {
    name: 'LayerNormalization axis 1 (two normalised dims)',
    inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }],
    build: (g, [x, s, b]) => g.layerNorm(x, s, b, 1, 1e-5),
  },
  {
    name: 'GroupNormalization 2 groups',
    inputs: [{ shape: [2, 4, 3, 2] }, { shape: [4] }, { shape: [4] }],
    build: (g, [x, s, b]) => g.groupNorm(x, s, b, 2, 1e-5),
  },
  {
    name: 'GroupNormalization on [N,C,L], 4 groups, positive-mean input',
    inputs: [{ shape: [1, 8, 5], kind: 'positive' }, { shape: [8] }, { shape: [8] }],
    build: (g, [x, s, b]) => g.groupNorm(x, s, b, 4, 1e-6),
  },
  { name: 'Reshape', inputs: [{ shape: [2, 6] }], build: (g, [a]) => g.mul(g.reshape(a, [3, -1]), g.constant([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [3, 4], 'float64')) },
  { name: 'Transpose [2,3,4] perm [2,0,1]', inputs: [{ shape: [2, 3, 4] }], build: (g, [a]) => g.transpose(a, [2, 0, 1]) },
  { name: 'Slice two axes, negative start', inputs: [{ shape: [3, 5] }], build: (g, [a]) => g.slice(a, [1, -3], [3, 100], [0, 1]) },
  { name: 'Pad zeros, asymmetric (VAE downsample style)', inputs: [{ shape: [1, 2, 3, 3] }], build: (g, [a]) => g.padZeros(a, [0, 0, 0, 1, 0, 0, 1, 2]) },
  {
    name: 'Split with an unused piece',
    inputs: [{ shape: [2, 6] }],
    build: (g, [a]) => {
      const [p, , r] = g.split(a, [1, 2, 3], 1);
      return g.concat([g.exp(p), g.mul(r, r)], 1);
    },
  },
  {
    name: 'Concat three inputs and a constant',
    inputs: [{ shape: [2, 1] }, { shape: [2, 2] }],
    build: (g, [a, b]) => g.concat([a, g.constant([7, 8], [2, 1], 'float64'), b, a], 1),
  },
  { name: 'Unsqueeze', inputs: [{ shape: [2, 3] }], build: (g, [a]) => g.mul(g.unsqueeze(a, [0, 2]), g.constant([1, 2, 3, 4, 5, 6], [1, 2, 1, 3], 'float64')) },
  { name: 'Squeeze', inputs: [{ shape: [2, 1, 3] }], build: (g, [a]) => g.squeeze(a, [1]) },
  { name: 'Expand [3,1] to [2,3,4]', inputs: [{ shape: [3, 1] }], build: (g, [a]) => g.expand(a, [2, 3, 4]) },
  {
    name: 'Gather axis 0 with repeated and negative indices',
    inputs: [{ shape: [4, 3] }],
    build: (g, [a]) => g.gather(a, g.constant([2, 0, -2, 3, -1], [5], 'int64'), 0),
  },
  {
    name: 'Gather axis 1 with 2-D indices',
    inputs: [{ shape: [2, 4, 3] }],
    build: (g, [a]) => g.gather(a, g.constant([3, 1, 1, 0], [2, 2], 'int64'), 1),
  },
  {
    name: 'Gemm plain with C [N]',
    inputs: [{ shape: [2, 3] }, { shape: [3, 4] }, { shape: [4] }],
    build: (g, [a, b, c]) => g.gemm(a, b, c),
  },
  {
    name: 'Gemm transA transB alpha beta',
    inputs: [{ shape: [3, 2] }, { shape: [4, 3] }, { shape: [2, 4] }],
    build: (g, [a, b, c]) => g.gemm(a, b, c, { transA: true, transB: true, alpha: 0.7, beta: 1.3 }),
  },
  {
    name: 'Gemm transA only',
    inputs: [{ shape: [3, 2] }, { shape: [3, 4] }],
    build: (g, [a, b]) => g.gemm(a, b, undefined, { transA: true, alpha: -1.5 }),
  },
  {
    name: 'Gemm transB only',
    inputs: [{ shape: [2, 3] }, { shape: [4, 3] }],
    build: (g, [a, b]) => g.gemm(a, b, undefined, { transB: true }),
  },
];

// Ops whose forward has no float64 kernel on ORT's CPU provider: float32 directional derivatives.
const float32Cases: Case[] = [
  { name: 'Erf', inputs: [{ shape: [3, 4] }], build: (g, [a]) => g.erf(a) },
  { name: 'Gelu (exact)', inputs: [{ shape: [3, 4], kind: 'spread' }], build: (g, [a]) => g.gelu(a) },
  {
    name: 'Cast float32 -> float64 -> float32',
    inputs: [{ shape: [2, 3] }],
    build: (g, [a]) => g.cast(g.exp(g.cast(a, 'float64')), 'float32'),
  },
  {
    name: 'Conv stride 2, pads, bias',
    inputs: [{ shape: [2, 3, 7, 6] }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
    build: (g, [x, w, b]) => g.conv(x, w, b, { strides: [2, 2], pads: [1, 1, 1, 0] }),
  },
  {
    name: 'Conv dilation 2 (x, w)',
    inputs: [{ shape: [1, 2, 7, 7] }, { shape: [3, 2, 3, 2] }],
    build: (g, [x, w]) => g.conv(x, w, undefined, { dilations: [2, 1], pads: [2, 1, 2, 1] }),
  },
  {
    name: 'Conv group 2 (input only)',
    inputs: [{ shape: [1, 4, 5, 5] }],
    wrt: [0],
    build: (g, [x]) => g.conv(x, g.constant(Array.from({ length: 4 * 2 * 9 }, (_, i) => Math.sin(i)), [4, 2, 3, 3], 'float32'), undefined, { group: 2, pads: [1, 1, 1, 1] }),
  },
  {
    name: 'ConvTranspose stride 2, output padding, bias',
    inputs: [{ shape: [2, 3, 3, 4] }, { shape: [3, 2, 3, 3] }, { shape: [2] }],
    build: (g, [x, w, b]) => g.convTranspose(x, w, b, { strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 0] }),
  },
  {
    name: 'LayerNormalization float32 (reuses the forward Mean/InvStdDev)',
    inputs: [{ shape: [2, 3, 8] }, { shape: [8] }, { shape: [8] }],
    build: (g, [x, s, b]) => g.layerNorm(x, s, b, -1, 1e-5),
  },
  {
    name: 'LayerNormalization float32 axis 1, no bias',
    inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }],
    build: (g, [x, s]) => g.layerNorm(x, s, undefined, 1, 1e-5),
  },
  { name: 'Resize nearest x2', inputs: [{ shape: [1, 2, 3, 4] }], build: (g, [x]) => g.resizeNearest2x(x) },
];

// The adjoint identities: L = ⟨f(x), R⟩ = Σ over the linear inputs of ⟨input, dL/dinput⟩.
const adjointCases: { c: Case; linearIn: number[][] }[] = [
  { c: float32Cases[3], linearIn: [[0, 2], [1, 2]] },
  { c: float32Cases[4], linearIn: [[0], [1]] },
  { c: float32Cases[5], linearIn: [[0]] },
  { c: float32Cases[6], linearIn: [[0, 2], [1, 2]] },
  { c: float32Cases.find((c) => c.name.startsWith('Resize'))!, linearIn: [[0]] },
];

for (const c of float64Cases) {
  test(`gradient float64: ${c.name}`, async () => {
    const { maxError, worst } = await checkFloat64({ ...c, dtype: 'float64' });
    assert.ok(maxError < 1e-6, `${c.name}: relative error ${maxError} at ${worst}`);
  });
}

for (const c of float32Cases) {
  test(`gradient float32 directional: ${c.name}`, async () => {
    const { maxError, worst } = await checkDirectional({ ...c, dtype: 'float32' });
    assert.ok(maxError < 5e-4, `${c.name}: relative error ${maxError} at ${worst}`);
  });
}

for (const { c, linearIn } of adjointCases) {
  test(`adjoint (dot-product) test: ${c.name}`, async () => {
    const { loss, dots } = await checkAdjoint({ ...c, dtype: 'float32' }, linearIn.flat());
    let k = 0;
    for (const group of linearIn) {
      const sum = group.reduce((s) => s + dots[k++], 0);
      assert.ok(Math.abs(sum - loss) <= 1e-5 * (1 + Math.abs(loss)), `${c.name}: ⟨f(x),R⟩ = ${loss} but Σ⟨input, grad⟩ over inputs [${group}] = ${sum}`);
    }
  });
}

test('every gradient rule has a check above', () => {
  const checked = new Set<string>();
  for (const c of [...float64Cases, ...float32Cases]) {
    const g = new Graph('coverage');
    const inputs: Value[] = c.inputs.map((s, i) => g.input(`in${i}`, 'float32', s.shape));
    try {
      c.build(g, inputs);
    } catch {
      // float64-only constants in a float32 graph: rebuild as float64.
      const g64 = new Graph('coverage64');
      c.build(g64, c.inputs.map((s, i) => g64.input(`in${i}`, 'float64', s.shape)));
      for (const n of g64.nodes) checked.add(n.opType);
    }
    for (const n of g.nodes) checked.add(n.opType);
  }
  const unchecked = differentiableOpTypes.filter((op) => !checked.has(op));
  assert.deepEqual(unchecked, [], `rules without a gradient check: ${unchecked.join(', ')}`);
});

// The op types the SD1 text encoder, UNet and loss graphs are built from (issue 3's list). A
// textual-inversion gradient must pass through any of them, so each needs a rule.
const sd1OpTypes = [
  'Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Neg', 'Exp', 'Log', 'Erf', 'Tanh',
  'Sigmoid', 'Softmax', 'ReduceMean', 'ReduceSum', 'LayerNormalization', 'GroupNormalization', 'Gelu', 'Reshape',
  'Transpose', 'Slice', 'Split', 'Concat', 'Unsqueeze', 'Squeeze', 'Expand', 'Gather', 'Where', 'Cast', 'Resize', 'Sin',
  'Cos', 'Identity', 'Pad',
];

test('every op type the SD1 graphs use has a gradient rule', () => {
  const missing = sd1OpTypes.filter((op) => !differentiableOpTypes.includes(op));
  assert.deepEqual(missing, [], `SD1 ops without a gradient rule: ${missing.join(', ')}`);
});
