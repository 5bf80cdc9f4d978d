// The ONNX textual-inversion step against the fixture's float64 reference (loss and gradient),
// and learning measured honestly: overfitting one fixed (latent, timestep, noise) sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors } from '../../src/sd/safetensors';
import { loadCheckpoint } from '../../src/sd/checkpoint';
import { headsFromFixtureConfig, inferSd1Architecture } from '../../src/sd/architecture';
import { sd1AlphasCumprod } from '../../src/sd/noiseSchedule';
import { TiLossSession } from '../../src/train/tiLossSession';
import { adamWStep, createAdamWState } from '../../src/train/optimizer';
import type { TrainingBatch } from '../../src/train/trainingStep';

const fixture = join(__dirname, '../fixtures/sd1-tiny');
const cases = openSafetensors(join(fixture, 'cases.safetensors'));
const checkpoint = loadCheckpoint(join(fixture, 'model.safetensors'));
const architecture = inferSd1Architecture(checkpoint, headsFromFixtureConfig(JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8'))));

function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (a[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function caseBatch(name: string): { batch: TrainingBatch; emb: Float32Array } {
  const int64s = (key: string) => {
    const raw = cases.readRaw(key);
    return Array.from({ length: raw.length / 8 }, (_, i) => Number(raw.readBigInt64LE(i * 8)));
  };
  const ids = int64s(`${name}.input_ids`);
  const t = int64s(`${name}.t`)[0];
  return {
    batch: {
      inputIds: [ids],
      slots: [[[1, 0], [2, 1], [3, 2]]],
      weights: [new Array(77).fill(1)],
      latents: cases.readFloat32(`${name}.x0`),
      noise: cases.readFloat32(`${name}.noise`),
      timesteps: [t],
    },
    emb: cases.readFloat32(`${name}.emb`),
  };
}

async function session(clipSkip: number, emphasis: boolean) {
  return TiLossSession.create({ checkpoint, architecture, alphasCumprod: sd1AlphasCumprod(), vectors: 3, batchSize: 1, latentHeight: 8, latentWidth: 8, clipSkip, emphasis, provider: 'cpu', cacheDir: '/tmp' });
}

for (const clipSkip of [1, 2]) {
  test(`loss and gradient match the float64 reference (CLIP skip ${clipSkip})`, async () => {
    const name = `ti_loss_clip_skip${clipSkip}`;
    const s = await session(clipSkip, false);
    const { batch, emb } = caseBatch(name);
    const { loss, gradient } = await s.run(batch, emb);
    const refLoss = cases.readFloat32(`${name}.loss`)[0];
    assert.ok(Math.abs(loss - refLoss) / refLoss < 5e-5, `loss ${loss} vs ${refLoss}`);
    const e = relErr(gradient, cases.readFloat32(`${name}.grad`));
    assert.ok(e < 5e-5, `gradient rel-L2 ${e}`);
    await s.release();
  });
}

test('emphasis with all weights 1 changes nothing; other weights change loss and gradient as finite differences say', async () => {
  const plain = await session(1, false);
  const weighted = await session(1, true);
  const { batch, emb } = caseBatch('ti_loss_clip_skip1');
  const a = await plain.run(batch, emb);
  const b = await weighted.run(batch, emb);
  assert.ok(Math.abs(a.loss - b.loss) / a.loss < 1e-6);
  assert.ok(relErr(b.gradient, a.gradient) < 1e-5);
  // emphasise the embedding slots ×1.5: the loss changes, and the gradient still is the
  // derivative of that loss (central difference along the gradient direction, float32)
  const emphasised = { ...batch, weights: [batch.weights[0].map((w, i) => (i >= 1 && i <= 3 ? 1.5 : w))] };
  const c = await weighted.run(emphasised, emb);
  assert.ok(Math.abs(c.loss - a.loss) / a.loss > 1e-4, `${c.loss} vs ${a.loss}`);
  const norm = Math.sqrt(c.gradient.reduce((s, g) => s + g * g, 0));
  const h = 1e-2;
  const plus = emb.map((v, i) => v + (h * c.gradient[i]) / norm);
  const minus = emb.map((v, i) => v - (h * c.gradient[i]) / norm);
  const fd = ((await weighted.run(emphasised, plus)).loss - (await weighted.run(emphasised, minus)).loss) / (2 * h);
  assert.ok(Math.abs(fd - norm) / norm < 2e-2, `directional derivative ${fd} vs |grad| ${norm}`);
  await plain.release();
  await weighted.release();
});

test('overfitting one fixed (latent, t, noise): the loss falls by at least 5% in 100 AdamW steps at 0.005', async (t) => {
  const s = await session(1, false);
  const { batch, emb } = caseBatch('ti_loss_clip_skip1');
  const vectors = Float32Array.from(emb);
  const state = createAdamWState(vectors.length);
  const first = (await s.run(batch, vectors)).loss;
  let last = first;
  for (let step = 0; step < 100; step++) {
    const { loss, gradient } = await s.run(batch, vectors);
    last = loss;
    adamWStep(vectors, gradient, state, 0.005);
  }
  last = (await s.run(batch, vectors)).loss;
  t.diagnostic(`overfit loss ${first.toFixed(4)} → ${last.toFixed(4)} (PyTorch reference on its own sample: 1.029 → 0.965)`);
  assert.ok(last < 0.95 * first, `loss ${first} → ${last}`);
  await s.release();
});

// Prompts over 75 tokens (or with BREAK) are encoded chunk by chunk and concatenated, as A1111
// does: the UNet's cross-attention then sees a context of 77·k tokens. Two checks that need no
// second implementation: attention over [c; c] equals attention over c, so a prompt whose two
// chunks are the same must give the one-chunk loss and gradient (emphasis included: each chunk
// is rescaled to its own mean); and for two different chunks the gradient must be the
// derivative of the loss (central difference).
test('two chunks of 77: a repeated chunk gives the one-chunk result; different chunks give a gradient finite differences agree with', async () => {
  const one = await session(1, true);
  const { batch, emb } = caseBatch('ti_loss_clip_skip1');
  const weights = batch.weights[0].map((w, i) => (i >= 1 && i <= 3 ? 1.5 : i === 5 ? 0.8 : w));
  const single = await one.run({ ...batch, weights: [weights] }, emb);
  const repeated: TrainingBatch = {
    ...batch,
    inputIds: [[...batch.inputIds[0], ...batch.inputIds[0]]],
    slots: [[...batch.slots[0], ...batch.slots[0].map(([p, r]) => [p + 77, r] as [number, number])]],
    weights: [[...weights, ...weights]],
  };
  const twice = await one.run(repeated, emb);
  assert.deepEqual(one.chunkCounts, [1, 2]);
  assert.ok(Math.abs(twice.loss - single.loss) / single.loss < 1e-5, `${twice.loss} vs ${single.loss}`);
  assert.ok(relErr(twice.gradient, single.gradient) < 1e-4, `gradient rel-L2 ${relErr(twice.gradient, single.gradient)}`);
  // the second chunk A1111's way for a short prompt in a longer batch: BOS + 76 EOS
  const padded: TrainingBatch = { ...repeated, inputIds: [[...batch.inputIds[0], 49406, ...new Array(76).fill(49407)]], slots: [batch.slots[0]], weights: [[...weights, ...new Array(77).fill(1)]] };
  const c = await one.run(padded, emb);
  assert.ok(Math.abs(c.loss - single.loss) / single.loss > 1e-4, `the second chunk changes the loss: ${c.loss} vs ${single.loss}`);
  const norm = Math.sqrt(c.gradient.reduce((s, g) => s + g * g, 0));
  const h = 1e-2;
  const plus = emb.map((v, i) => v + (h * c.gradient[i]) / norm);
  const minus = emb.map((v, i) => v - (h * c.gradient[i]) / norm);
  const fd = ((await one.run(padded, plus)).loss - (await one.run(padded, minus)).loss) / (2 * h);
  assert.ok(Math.abs(fd - norm) / norm < 2e-2, `directional derivative ${fd} vs |grad| ${norm}`);
  assert.throws(() => one.feeds({ ...batch, inputIds: [batch.inputIds[0].slice(0, 70)] }, emb), /same number of 77-token chunks/);
  await one.release();
});
