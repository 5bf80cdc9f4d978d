// The autodiff driver: what it emits, what it refuses, and how it says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from 'onnx-proto';
import { Graph, GradientError, createSession, grad, liveNodes, serializeModel, summarizeGraph } from '../../src/onnx/index';

function opCounts(g: Graph): Record<string, number> {
  return summarizeGraph(g).opCounts;
}

test('only the input gradient of a conv is emitted when only the input is asked for', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 2, 5, 5]);
  const w = g.constant(new Array(3 * 2 * 9).fill(0.1), [3, 2, 3, 3], 'float32');
  const b = g.constant([0, 0, 0], [3], 'float32');
  const y = g.conv(x, w, b, { pads: [1, 1, 1, 1] });
  const loss = g.reduceSum(g.mul(y, y), undefined, false);
  const [dx] = grad(g, loss, [x]);
  g.output(dx, 'dx');
  const counts = opCounts(g);
  // Forward Conv + ConvTranspose for dX; no weight-gradient Conv, no bias ReduceSum over dY.
  assert.equal(counts.Conv, 1);
  assert.equal(counts.ConvTranspose, 1);
  assert.equal(counts.ReduceSum, undefined);
});

test('branches that do not depend on wrt get no gradient ops', () => {
  const g = new Graph();
  const x = g.input('x', 'float64', [3]);
  const c = g.input('c', 'float64', [3]);
  const side = g.exp(g.tanh(c)); // depends only on c
  const loss = g.reduceSum(g.mul(g.sin(x), side), undefined, false);
  const [dx] = grad(g, loss, [x]);
  g.output(dx, 'dx');
  const ops = liveNodes(g).map((n) => n.opType);
  // Tanh/Exp appear once (forward), never differentiated; Sin's rule emits Cos.
  assert.equal(ops.filter((o) => o === 'Tanh').length, 1);
  assert.equal(ops.filter((o) => o === 'Exp').length, 1);
  assert.ok(ops.includes('Cos'));
});

test('fan-out gradients are summed and a wrt off the loss path gets zeros', async () => {
  const g = new Graph();
  const x = g.input('x', 'float64', [2]);
  const unused = g.input('u', 'float64', [2, 2]);
  // L = Σ (x·x + 3x) → dL/dx = 2x + 3
  const loss = g.reduceSum(g.add(g.mul(x, x), g.mul(x, g.scalar(3, 'float64'))), undefined, false);
  const [dx, du] = grad(g, loss, [x, unused]);
  g.output(dx, 'dx');
  g.output(du, 'du');
  const s = await createSession(serializeModel(g), { provider: 'cpu' });
  const out = await s.run({
    x: { dtype: 'float64', shape: [2], data: Float64Array.from([1.5, -4]) },
    u: { dtype: 'float64', shape: [2, 2], data: new Float64Array(4) },
  });
  await s.release();
  assert.deepEqual(Array.from(out.dx.data as Float64Array), [6, -5]);
  assert.deepEqual(Array.from(out.du.data as Float64Array), [0, 0, 0, 0]);
  assert.deepEqual(out.du.shape, [2, 2]);
});

test('a missing rule names the op and the path from wrt', () => {
  const g = new Graph();
  const x = g.input('tokens_embedding', 'float32', [4]);
  const h = g.tanh(g.mul(x, x));
  const [weird] = g.addNode('HardSwish', [h], [{ dtype: 'float32', shape: [4] }]);
  const loss = g.reduceSum(weird, undefined, false);
  assert.throws(
    () => grad(g, loss, [x]),
    (e: Error) => {
      assert.ok(e instanceof GradientError);
      assert.match(e.message, /no gradient rule for HardSwish/);
      assert.match(e.message, /'tokens_embedding' → Mul → Tanh → HardSwish/);
      return true;
    },
  );
});

test('an op without a rule is fine when no gradient has to pass through it', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [4]);
  const c = g.input('c', 'float32', [4]);
  const [other] = g.addNode('HardSwish', [c], [{ dtype: 'float32', shape: [4] }]);
  const loss = g.reduceSum(g.mul(x, other), undefined, false);
  assert.doesNotThrow(() => grad(g, loss, [x]));
});

test('integer paths carry no gradient; a gradient through a shape input is reported as a bug', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [4]);
  const shape = g.input('shape', 'float32', [2]);
  // A float value feeding an index-like input of a rule that declares it gradient-free.
  const [r] = g.addNode('Resize', [x, undefined, g.mul(shape, shape)], [{ dtype: 'float32', shape: [8] }]);
  const loss = g.reduceSum(r, undefined, false);
  assert.throws(() => grad(g, loss, [shape]), /input 2 .* is a shape\/index input and has no gradient/);
});

test('loss must be a scalar', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [3]);
  assert.throws(() => grad(g, g.exp(x), [x]), /loss .*\[3\] must be a scalar/);
});

test('LayerNormalization: forward alone writes one output; its gradient reuses Mean/InvStdDev', () => {
  const build = (withGrad: boolean) => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3, 8]);
    const y = g.layerNorm(x, g.constant(new Array(8).fill(1), [8], 'float32'), undefined, -1, 1e-5);
    g.output(y, 'y');
    if (withGrad) g.output(grad(g, g.reduceSum(g.mul(y, y), undefined, false), [x])[0], 'dx');
    const model = onnx.ModelProto.decode(serializeModel(g));
    const nodes = model.graph?.node ?? [];
    return { ln: nodes.find((n) => n.opType === 'LayerNormalization'), reduceMeans: nodes.filter((n) => n.opType === 'ReduceMean').length };
  };
  assert.equal(build(false).ln?.output?.length, 1);
  const withGrad = build(true);
  assert.equal(withGrad.ln?.output?.length, 3);
  // Only the two means of the backward formula; the statistics are not recomputed.
  assert.equal(withGrad.reduceMeans, 2);
});
