import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatentCache, sampleLatent } from '../../src/train/latentCache';

const dist = { mean: new Float32Array([1, -2]), logvar: new Float32Array([0, Math.log(4)]) }; // std 1 and 2

function counter(values: number[]) {
  let i = 0;
  return () => values[i++];
}

test('a sample is (mean + std·n)·0.18215 with std = exp(logvar/2)', () => {
  const s = sampleLatent(dist, counter([0.5, -1]));
  assert.ok(Math.abs(s[0] - (1 + 0.5) * 0.18215) < 1e-7);
  assert.ok(Math.abs(s[1] - (-2 - 2) * 0.18215) < 1e-7);
});

test('logvar is clamped to [-30, 20] as ldm does', () => {
  const s = sampleLatent({ mean: new Float32Array([0]), logvar: new Float32Array([100]) }, counter([1]));
  assert.ok(Math.abs(s[0] - Math.exp(10) * 0.18215) / (Math.exp(10) * 0.18215) < 1e-6);
});

test('once: one draw at build time, reused; deterministic: the mean; random: a new draw each use', () => {
  const once = new LatentCache([dist], 'once', counter([1, 1]));
  const first = once.latent(0, counter([9, 9]));
  assert.deepEqual([...first], [...once.latent(0, counter([7, 7]))]);
  assert.ok(Math.abs(first[0] - 2 * 0.18215) < 1e-7);
  const det = new LatentCache([dist], 'deterministic', counter([]));
  assert.deepEqual([...det.latent(0, counter([]))].map((v) => Math.round(v * 1e6) / 1e6), [0.18215, -0.3643]);
  const random = new LatentCache([dist], 'random', counter([]));
  const a = random.latent(0, counter([0, 0]));
  const b = random.latent(0, counter([1, 1]));
  assert.ok(Math.abs(a[0] - 0.18215) < 1e-7 && Math.abs(b[0] - 2 * 0.18215) < 1e-7);
});
