import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adamWStep, createAdamWState } from '../../src/train/optimizer';
import { clipGradientInPlace } from '../../src/train/gradientClipping';

test("AdamW follows torch's formula (values worked out by hand in float64)", () => {
  // p=1, lr=0.1, gradients 0.5, -1, 0.25: m̂ = m/(1-0.9^t), v̂ = v/(1-0.999^t), p -= lr·m̂/(√v̂+1e-8)
  const p = new Float32Array([1]);
  const state = createAdamWState(1);
  const expected = [0.9000000019999999, 0.9366103542405653, 0.950279420338976];
  [0.5, -1, 0.25].forEach((g, i) => {
    adamWStep(p, new Float32Array([g]), state, 0.1);
    assert.ok(Math.abs(p[0] - expected[i]) < 1e-7, `step ${i + 1}: ${p[0]} vs ${expected[i]}`);
  });
  assert.equal(state.step, 3);
  // first moment after three steps: 0.1·(0.25 + 0.9·(-1) + 0.81·0.5)
  assert.ok(Math.abs(state.firstMoment[0] - 0.1 * (0.25 - 0.9 + 0.405)) < 1e-15);
});

test('the first AdamW step moves every coordinate by about lr·sign(g)', () => {
  const p = new Float32Array([0, 0, 0]);
  adamWStep(p, new Float32Array([3, -0.001, 7]), createAdamWState(3), 0.005);
  assert.deepEqual([...p].map((v) => Math.round(v * 1e6) / 1e6), [-0.005, 0.005, -0.005]);
});

test('weight decay is torch-style decoupled decay when asked for (A1111 uses 0)', () => {
  const p = new Float32Array([2]);
  adamWStep(p, new Float32Array([0]), createAdamWState(1), 0.1, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.5 });
  assert.ok(Math.abs(p[0] - 2 * (1 - 0.05)) < 1e-6);
});

test('clip by value clamps each element; by norm rescales to the limit', () => {
  const g = new Float32Array([0.5, -0.05, -3]);
  clipGradientInPlace(g, 'value', 0.1);
  assert.deepEqual([...g].map((v) => Math.round(v * 1e6) / 1e6), [0.1, -0.05, -0.1]);
  const h = new Float32Array([3, 4]); // norm 5
  clipGradientInPlace(h, 'norm', 1);
  assert.ok(Math.abs(h[0] - 0.6) < 1e-6 && Math.abs(h[1] - 0.8) < 1e-6);
  const small = new Float32Array([0.3, 0.4]); // norm 0.5 < 1: unchanged
  clipGradientInPlace(small, 'norm', 1);
  assert.deepEqual([...small], [Math.fround(0.3), Math.fround(0.4)]);
  const off = new Float32Array([9]);
  clipGradientInPlace(off, 'disabled', 0.1);
  assert.equal(off[0], 9);
});
