import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sd1AlphasCumprod, noiseScheduleFromCheckpoint, noisingCoefficients } from '../../src/sd/noiseSchedule';
import { openSafetensors } from '../../src/sd/safetensors';

const fixture = join(__dirname, '../fixtures/sd1-tiny/model.safetensors');

test('SD1 schedule matches the fixture checkpoint buffers (float32) to float32 rounding', () => {
  const ac = sd1AlphasCumprod();
  const file = openSafetensors(fixture);
  const stored = file.readFloat32('alphas_cumprod');
  const betas = file.readFloat32('betas');
  file.close();
  assert.equal(ac.length, 1000);
  for (let t = 0; t < 1000; t++) {
    assert.ok(Math.abs(ac[t] - stored[t]) / stored[t] < 2e-7, `t=${t}: ${ac[t]} vs ${stored[t]}`);
    // consecutive ratios give back the betas
    const beta = 1 - ac[t] / (t > 0 ? ac[t - 1] : 1);
    assert.ok(Math.abs(beta - betas[t]) / betas[t] < 1e-6, `beta ${t}`);
  }
});

test('hand-computed ends: t = 0 and t = 999', () => {
  const ac = sd1AlphasCumprod();
  // β_0 = (√0.00085)² = 0.00085
  assert.ok(Math.abs(ac[0] - 0.99915) < 1e-15);
  // ᾱ_999 = exp(Σ log(1 − β_i)), β_i = (√0.00085 + i(√0.012 − √0.00085)/999)²
  let logSum = 0;
  for (let i = 0; i < 1000; i++) {
    const root = Math.sqrt(0.00085) + (i * (Math.sqrt(0.012) - Math.sqrt(0.00085))) / 999;
    logSum += Math.log1p(-root * root);
  }
  assert.ok(Math.abs(ac[999] - Math.exp(logSum)) / ac[999] < 1e-12);
  assert.ok(Math.abs(ac[999] - 0.0046600) < 1e-6); // SD1's well-known final ᾱ
});

test('a checkpoint schedule wins over the default; noising coefficients', () => {
  const custom = Float32Array.from([0.9, 0.5, 0.1]);
  assert.deepEqual([...noiseScheduleFromCheckpoint(custom)], [...custom].map((v) => v));
  assert.equal(noiseScheduleFromCheckpoint(undefined).length, 1000);
  const { signal, noise } = noisingCoefficients(Float64Array.from([0.64]), 0);
  assert.ok(Math.abs(signal - 0.8) < 1e-15 && Math.abs(noise - 0.6) < 1e-15);
  assert.throws(() => noisingCoefficients(Float64Array.from([0.5]), 1), /timestep 1 is outside/);
});
