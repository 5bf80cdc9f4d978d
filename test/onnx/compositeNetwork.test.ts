// End-to-end: whole-network gradients of a small SD-like network (residual conv block with group
// norm + SiLU, a multi-head attention block with softmax, a layer-normed GELU MLP) against finite
// differences of the same network run in ORT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DType, Graph, Value } from '../../src/onnx/index';
import { checkDirectional, checkFloat64 } from './gradientCheck';

function scaled(g: Graph, w: Value, s: number): Value {
  return g.mul(w, g.scalar(s, w.dtype));
}

/** Residual block: x + conv(silu(gn(conv(silu(gn(x)))))) on [N,C,H,W]. */
function residualConvBlock(g: Graph, x: Value, w1: Value, w2: Value, gnScale: Value): Value {
  const c = x.shape[1];
  const zeros = g.constant(new Array(c).fill(0), [c], x.dtype);
  const ones = g.constant(new Array(c).fill(1), [c], x.dtype);
  let h = g.silu(g.groupNorm(x, gnScale, zeros, 2, 1e-5));
  h = g.conv(h, scaled(g, w1, 0.3), undefined, { pads: [1, 1, 1, 1] });
  h = g.silu(g.groupNorm(h, ones, zeros, 2, 1e-5));
  h = g.conv(h, scaled(g, w2, 0.3), undefined, { pads: [1, 1, 1, 1] });
  return g.add(x, h);
}

/** Pre-norm multi-head self-attention with a residual, tokens [N,T,C]. */
function attentionBlock(g: Graph, t: Value, wq: Value, wk: Value, wv: Value, lnScale: Value, heads: number): Value {
  const [n, len, c] = t.shape;
  const d = c / heads;
  const zeros = g.constant(new Array(c).fill(0), [c], t.dtype);
  const h = g.layerNorm(t, lnScale, zeros, -1, 1e-5);
  const split = (v: Value) => g.transpose(g.reshape(v, [n, len, heads, d]), [0, 2, 1, 3]);
  const q = split(g.matMul(h, scaled(g, wq, 0.5)));
  const k = split(g.matMul(h, scaled(g, wk, 0.5)));
  const v = split(g.matMul(h, scaled(g, wv, 0.5)));
  const scores = g.mul(g.matMul(q, g.transpose(k, [0, 1, 3, 2])), g.scalar(1 / Math.sqrt(d), t.dtype));
  const attended = g.matMul(g.softmax(scores, -1), v);
  return g.add(t, g.reshape(g.transpose(attended, [0, 2, 1, 3]), [n, len, c]));
}

/** Pre-norm MLP with a residual. */
function mlpBlock(g: Graph, t: Value, w1: Value, b1: Value, w2: Value, exactGelu: boolean): Value {
  const c = t.shape[2];
  const ones = g.constant(new Array(c).fill(1), [c], t.dtype);
  const zeros = g.constant(new Array(c).fill(0), [c], t.dtype);
  const h = g.layerNorm(t, ones, zeros, -1, 1e-5);
  const inner = g.add(g.matMul(h, scaled(g, w1, 0.5)), b1);
  const act = exactGelu ? g.gelu(inner) : g.quickGelu(inner);
  return g.add(t, g.matMul(act, scaled(g, w2, 0.5)));
}

function mseAgainst(g: Graph, y: Value, dtype: DType): Value {
  const target = g.constant(Array.from({ length: y.size }, (_, i) => Math.sin(1.3 * i)), y.shape, dtype);
  const diff = g.sub(y, target);
  return g.reduceMean(g.mul(diff, diff), undefined, false);
}

test('whole network (conv block + attention + MLP, float32): gradient = directional finite differences', async () => {
  const { maxError, worst } = await checkDirectional(
    {
      name: 'sd-like network',
      dtype: 'float32',
      inputs: [
        { shape: [1, 4, 5, 5] }, // x
        { shape: [4, 4, 3, 3] }, // conv 1
        { shape: [4, 4, 3, 3] }, // conv 2
        { shape: [4], kind: 'positive' }, // group-norm scale
        { shape: [4, 4] }, // wq
        { shape: [4, 4] }, // wk
        { shape: [4, 4] }, // wv
        { shape: [4], kind: 'positive' }, // layer-norm scale
        { shape: [4, 8] }, // mlp in
        { shape: [8] }, // mlp bias
        { shape: [8, 4] }, // mlp out
      ],
      build: (g, [x, c1, c2, gs, wq, wk, wv, ls, m1, mb, m2]) => {
        const feat = residualConvBlock(g, x, c1, c2, gs);
        const tokens = g.transpose(g.reshape(feat, [1, 4, 25]), [0, 2, 1]);
        const y = mlpBlock(g, attentionBlock(g, tokens, wq, wk, wv, ls, 2), m1, mb, m2, true);
        return g.reshape(mseAgainst(g, y, 'float32'), [1]);
      },
    },
    6,
  );
  assert.ok(maxError < 5e-4, `relative error ${maxError}: ${worst}`);
});

test('transformer block (attention + MLP, float64): every element of every gradient = finite differences', async () => {
  const { maxError, worst } = await checkFloat64({
    name: 'transformer block',
    dtype: 'float64',
    inputs: [
      { shape: [1, 3, 4] }, // tokens
      { shape: [4, 4] }, // wq
      { shape: [4, 4] }, // wk
      { shape: [4, 4] }, // wv
      { shape: [4], kind: 'positive' }, // layer-norm scale
      { shape: [4, 8] },
      { shape: [8] },
      { shape: [8, 4] },
    ],
    build: (g, [t, wq, wk, wv, ls, m1, mb, m2]) => {
      const y = mlpBlock(g, attentionBlock(g, t, wq, wk, wv, ls, 2), m1, mb, m2, false);
      return mseAgainst(g, y, 'float64');
    },
  });
  assert.ok(maxError < 1e-6, `relative error ${maxError}: ${worst}`);
});

test('residual group-norm block without convolutions (float64), every element', async () => {
  // The conv block's non-conv path checked element by element in float64: GN → SiLU → 1×1 mixing by MatMul.
  const { maxError, worst } = await checkFloat64({
    name: 'gn-silu residual',
    dtype: 'float64',
    inputs: [{ shape: [2, 4, 2, 2] }, { shape: [4] }, { shape: [4, 4] }],
    build: (g, [x, gs, w]) => {
      const zeros = g.constant([0, 0, 0, 0], [4], 'float64');
      const h = g.silu(g.groupNorm(x, gs, zeros, 2, 1e-5));
      const mixed = g.transpose(g.matMul(g.transpose(h, [0, 2, 3, 1]), w), [0, 3, 1, 2]);
      return mseAgainst(g, g.add(x, mixed), 'float64');
    },
  });
  assert.ok(maxError < 1e-6, `relative error ${maxError}: ${worst}`);
});
