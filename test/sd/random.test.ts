import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/sd/random';

test('xoshiro128** outputs for state [1, 2, 3, 4], computed by hand', () => {
  // out = rotl(s1 * 5, 7) * 9: s1 = 2 → 10 << 7 = 1280, × 9 = 11520.
  // after step 1 the state is [7, 0, 1026, 12288] → out = 0;
  // after step 2 it is [12295, 1029, 1029, 25165824] → out = rotl(5145, 7) * 9 = 658560 * 9
  const rng = SeededRandom.fromState({ algorithm: 'xoshiro128**', words: [1, 2, 3, 4], spareGaussian: null });
  assert.deepEqual([rng.nextUint32(), rng.nextUint32()], [11520, 0]);
  assert.deepEqual(rng.state().words, [12295, 1029, 1029, 25165824]);
  assert.equal(rng.nextUint32(), 5927040);
});

test('same seed, same stream; different seeds, different streams', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const c = new SeededRandom(43);
  const seqA = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(Array.from({ length: 8 }, () => b.nextUint32()), seqA);
  assert.notDeepEqual(Array.from({ length: 8 }, () => c.nextUint32()), seqA);
  // seeds above 2^32 are not silently truncated
  assert.notDeepEqual(new SeededRandom(2 ** 32 + 42).nextUint32(), new SeededRandom(42).nextUint32());
});

test('saved state resumes bit-for-bit, including a pending Gaussian, through JSON', () => {
  const rng = new SeededRandom(1234);
  for (let i = 0; i < 7; i++) rng.nextGaussian(); // odd count: a spare is pending
  const saved = JSON.parse(JSON.stringify(rng.state()));
  assert.notEqual(saved.spareGaussian, null);
  const continued = Array.from({ length: 9 }, () => rng.nextGaussian());
  const resumed = SeededRandom.fromState(saved);
  assert.deepEqual(Array.from({ length: 9 }, () => resumed.nextGaussian()), continued);
  assert.throws(() => SeededRandom.fromState({ algorithm: 'xoshiro128**', words: [0, 0, 0, 0], spareGaussian: null }), /all zeros/);
  assert.throws(() => SeededRandom.fromState({ algorithm: 'mt' as 'xoshiro128**', words: [1, 2, 3, 4], spareGaussian: null }), /not a saved xoshiro128\*\* random state/);
});

test('distributions: uniform and Gaussian moments, integers without bias, shuffle is a permutation', () => {
  const rng = new SeededRandom(7);
  const n = 200_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.nextFloat();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sumSq += u * u;
  }
  // mean 1/2 and variance 1/12, with standard errors ~6.5e-4 and ~1.9e-4: 5σ bounds
  assert.ok(Math.abs(sum / n - 0.5) < 0.0033);
  assert.ok(Math.abs(sumSq / n - (sum / n) ** 2 - 1 / 12) < 0.001);
  const g = rng.fillGaussian(new Float32Array(n));
  const mean = g.reduce((a, b) => a + b, 0) / n;
  const variance = g.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const fourth = g.reduce((a, b) => a + (b - mean) ** 4, 0) / n;
  assert.ok(Math.abs(mean) < 0.012, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.016, `variance ${variance}`);
  assert.ok(Math.abs(fourth - 3) < 0.1, `fourth moment ${fourth}`); // Gaussian kurtosis
  const counts = [0, 0, 0];
  for (let i = 0; i < 30_000; i++) counts[rng.nextInt(3)]++;
  for (const count of counts) assert.ok(Math.abs(count - 10_000) < 500, `${counts}`);
  const items = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = rng.shuffle([...items]);
  assert.notDeepEqual(shuffled, items);
  assert.deepEqual([...shuffled].sort((a, b) => a - b), items);
});
