import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ddimTimesteps, sampleDdim, sampleEulerAncestral, samplingSigmas, sigmaAtTimestep, timestepAtSigma, sigmasFromAlphasCumprod } from '../../src/sd/samplers';
import { sd1AlphasCumprod } from '../../src/sd/noiseSchedule';
import { SeededRandom } from '../../src/sd/random';

const ac = sd1AlphasCumprod();

/** ᾱ at a possibly fractional timestep, by k-diffusion's rule: log σ interpolated linearly in t. */
function alphaAt(t: number): number {
  const sigma = (k: number): number => Math.sqrt((1 - ac[k]) / ac[k]);
  const low = Math.floor(t);
  const w = t - low;
  const logSigma = w === 0 ? Math.log(sigma(low)) : (1 - w) * Math.log(sigma(low)) + w * Math.log(sigma(low + 1));
  return 1 / (1 + Math.exp(2 * logSigma));
}

/** The exact noise predictor when all data is the single point `target`: eps = (x − √ᾱ·x*) / √(1−ᾱ). */
function pointPredictor(x: Float32Array, t: number, target: Float32Array): Float32Array {
  const a = alphaAt(t);
  return x.map((v, i) => (v - Math.sqrt(a) * target[i]) / Math.sqrt(1 - a));
}

/** The exact predictor for data ~ N(μ, s²) per value: E[eps | x_t] = √(1−ᾱ)(x − √ᾱμ) / (ᾱs² + 1 − ᾱ). */
function gaussianPredictor(mu: number, s: number) {
  return (x: Float32Array, t: number): Float32Array => {
    const a = alphaAt(t);
    return x.map((v) => (Math.sqrt(1 - a) * (v - Math.sqrt(a) * mu)) / (a * s * s + 1 - a));
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('k-diffusion sigmas: ends, count, and t ↔ σ round trip', () => {
  const sigmas = samplingSigmas(ac, 20);
  assert.equal(sigmas.length, 21);
  assert.ok(Math.abs(sigmas[0] - Math.sqrt((1 - ac[999]) / ac[999])) < 1e-12);
  assert.ok(Math.abs(sigmas[19] - Math.sqrt(0.00085 / (1 - 0.00085))) < 1e-12); // σ at t = 0: β_0 = 0.00085
  assert.equal(sigmas[20], 0);
  assert.ok(Math.abs(sigmas[0] - 14.6146) < 1e-3); // SD1's well-known σ_max
  for (let i = 1; i < 20; i++) assert.ok(sigmas[i] < sigmas[i - 1]);
  const table = sigmasFromAlphasCumprod(ac);
  for (const t of [0, 0.5, 13.25, 500, 998.75, 999]) {
    assert.ok(Math.abs(timestepAtSigma(table, sigmaAtTimestep(table, t)) - t) < 1e-9, `t=${t}`);
  }
  assert.deepEqual([...samplingSigmas(ac, 1)], [sigmaAtTimestep(table, 999), 0]);
});

test('DDIM timesteps as ldm spaces them: 1, 51, …, 951 for 20 steps', () => {
  assert.deepEqual(ddimTimesteps(1000, 20), Array.from({ length: 20 }, (_, i) => 1 + 50 * i));
  assert.deepEqual(ddimTimesteps(1000, 3), [1, 334, 667]);
  assert.throws(() => ddimTimesteps(1000, 0), /steps must be an integer from 1 to 1000/);
});

test('DDIM (eta 0) with an exact predictor lands on the single data point', async () => {
  const target = Float32Array.from([0.5, -1.25, 2, 0]);
  const noise = Float32Array.from([1, -0.5, 0.25, -2]);
  const seen: number[] = [];
  const result = await sampleDdim({
    alphasCumprod: ac, steps: 20, size: 4, guidanceScale: 1, rng: new SeededRandom(1), initialNoise: noise, conditioning: target,
    predictNoise: (x, t, c) => (seen.push(t), pointPredictor(x, t, c)),
    onStep: (_, denoised) => assert.ok(maxAbsDiff(denoised, target) < 1e-5),
  });
  assert.deepEqual(seen, [951, 901, 851, 801, 751, 701, 651, 601, 551, 501, 451, 401, 351, 301, 251, 201, 151, 101, 51, 1]);
  assert.ok(maxAbsDiff(result.denoised, target) < 1e-5);
  // the noise direction found at the first step is kept to the end, which stops at ᾱ_0
  const a = ac[951];
  const expected = target.map((x0, i) => Math.sqrt(ac[0]) * x0 + Math.sqrt(1 - ac[0]) * (noise[i] - Math.sqrt(a) * x0) / Math.sqrt(1 - a));
  assert.ok(maxAbsDiff(result.latent, expected) < 1e-5);
});

test('classifier-free guidance extrapolates from the negative towards the positive target', async () => {
  const positive = Float32Array.from([1, 0, -1]);
  const negative = Float32Array.from([0, 0.5, 0]);
  const scale = 7.5;
  const calls: string[] = [];
  const result = await sampleDdim({
    alphasCumprod: ac, steps: 10, size: 3, guidanceScale: scale, rng: new SeededRandom(3), conditioning: positive, unconditioning: negative,
    predictNoise: (x, t, c) => (calls.push(c === positive ? 'c' : 'u'), pointPredictor(x, t, c)),
  });
  assert.equal(calls.length, 20);
  // eps is affine in the target, so guided eps is the exact eps of x_u + s·(x_c − x_u)
  const guided = negative.map((u, i) => u + scale * (positive[i] - u));
  assert.ok(maxAbsDiff(result.denoised, guided) < 1e-4);
});

test('Euler ancestral with an exact predictor ends exactly on the single data point', async () => {
  const target = Float32Array.from([0.3, -0.7, 1.1]);
  const timesteps: number[] = [];
  const result = await sampleEulerAncestral({
    alphasCumprod: ac, steps: 20, size: 3, guidanceScale: 1, rng: new SeededRandom(5), conditioning: target,
    predictNoise: (x, t, c) => (timesteps.push(t), pointPredictor(x, t, c)),
    onStep: (_, denoised) => assert.ok(maxAbsDiff(denoised, target) < 1e-4),
  });
  assert.ok(Math.abs(timesteps[0] - 999) < 1e-6 && Math.abs(timesteps[19]) < 1e-6);
  assert.ok(Math.abs(timesteps[1] - (999 - 999 / 19)) < 1e-6); // t = linspace(999, 0, 20)
  assert.ok(maxAbsDiff(result.latent, target) < 1e-4);
});

function moments(values: Float32Array): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) };
}

// Data ~ N(0.7, 0.3²) with the exact predictor. Ancestral samplers under-disperse with few steps
// (std 0.22 at 20 steps, 0.25 at 50, measured), so these use 500 steps, where the
// discretisation error is below the tolerance.
const mu = 0.7;
const s = 0.3;

test('DDIM (eta 0) follows the probability-flow ODE to the data distribution', async () => {
  const predictor = gaussianPredictor(mu, s);
  const { latent } = await sampleDdim({ alphasCumprod: ac, steps: 500, size: 10_000, guidanceScale: 1, rng: new SeededRandom(11), conditioning: null, predictNoise: (x, t) => predictor(x, t) });
  const { mean, std } = moments(latent);
  // the sampler starts from N(0, 1) while the true x_T has mean √ᾱ_T·μ; the linear flow scales
  // deviations from x_T's mean by ~s at t = 0, so the mean lands at μ − s·√ᾱ_999·μ (≈ 0.6857)
  assert.ok(Math.abs(mean - (mu - s * Math.sqrt(ac[999]) * mu)) < 0.004, `mean ${mean}`);
  assert.ok(Math.abs(std - s) < 0.008, `std ${std}`);
});

for (const [name, run] of [
  ['Euler ancestral', (o: Parameters<typeof sampleEulerAncestral>[0]) => sampleEulerAncestral(o)],
  ['DDIM eta 1', (o: Parameters<typeof sampleDdim>[0]) => sampleDdim({ ...o, eta: 1 })],
] as const) {
  test(`${name} turns noise into the data distribution N(0.7, 0.3²)`, async () => {
    const predictor = gaussianPredictor(mu, s);
    const { latent } = await run({ alphasCumprod: ac, steps: 500, size: 5_000, guidanceScale: 1, rng: new SeededRandom(11), conditioning: null, predictNoise: (x, t) => predictor(x, t) });
    const { mean, std } = moments(latent);
    // fresh noise at each step washes out the start mismatch; moments' sampling error ~0.004
    assert.ok(Math.abs(mean - mu) < 0.015, `mean ${mean}`);
    assert.ok(Math.abs(std - s) < 0.02, `std ${std}`);
  });
}

test('seeded sampling is reproducible', async () => {
  const run = () => sampleEulerAncestral({
    alphasCumprod: ac, steps: 8, size: 16, guidanceScale: 1, rng: new SeededRandom(99), conditioning: null, predictNoise: gaussianPredictor(0, 1),
  });
  assert.deepEqual((await run()).latent, (await run()).latent);
});
