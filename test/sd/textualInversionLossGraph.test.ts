import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Session } from '../../src/onnx';
import { inferSd1Architecture, type Sd1Architecture } from '../../src/sd/architecture';
import { writeRandomCheckpoint, type RandomCheckpointConfig } from '../../src/sd/randomCheckpoint';
import { openSafetensors } from '../../src/sd/safetensors';
import { sd1AlphasCumprod } from '../../src/sd/noiseSchedule';
import {
  buildTextualInversionLossGraph,
  textualInversionFeeds,
  textualInversionInputs,
  type TextualInversionLossOptions,
  type TextualInversionStep,
} from '../../src/sd/textualInversionLossGraph';
import { createWeightedSession } from '../../src/sd/weights';
import { openSd1TinyFixture, relL2 } from './sd1TinyFixture';

const fixture = openSd1TinyFixture();
test.after(() => fixture.close());
const { arch } = fixture;
const alphasCumprod = sd1AlphasCumprod();

async function session(options: TextualInversionLossOptions): Promise<Session> {
  const built = buildTextualInversionLossGraph(fixture.model, arch, options);
  assert.deepEqual(built.outputNames, ['loss', 'grad']);
  return createWeightedSession(built.bytes, built.weights, { inMemory: true, session: { provider: 'cpu' } });
}

function caseStep(name: string, rows = 1): TextualInversionStep {
  const repeat = <T extends Float32Array | BigInt64Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(a.length * rows);
    for (let r = 0; r < rows; r++) out.set(a as never, r * a.length);
    return out;
  };
  return {
    emb: fixture.float(`${name}.emb`).data,
    inputIds: repeat(fixture.ints(`${name}.input_ids`)),
    placeholderPositions: Array.from({ length: rows }, () => [1, 2, 3]),
    x0: repeat(fixture.float(`${name}.x0`).data),
    noise: repeat(fixture.float(`${name}.noise`).data),
    timesteps: Array.from({ length: rows }, () => Number(fixture.ints(`${name}.t`)[0])),
    alphasCumprod,
  };
}

for (const clipSkip of [1, 2]) {
  test(`loss and d loss/d emb match the float64 reference (CLIP skip ${clipSkip}) within 5e-5`, async () => {
    const name = `ti_loss_clip_skip${clipSkip}`;
    const options = { clipSkip, batch: 1, latentHeight: 8, latentWidth: 8, vectors: 3 };
    const s = await session(options);
    const out = await s.run(textualInversionFeeds(arch, options, caseStep(name)));
    await s.release();
    assert.ok(relL2(out.loss.data as Float32Array, fixture.float(`${name}.loss`).data) < 5e-5);
    assert.ok(relL2(out.grad.data as Float32Array, fixture.float(`${name}.grad`).data) < 5e-5);
  });
}

test('batches: two copies of the reference sample give the reference loss and gradient; the gradient matches finite differences with per-row positions and timesteps', async () => {
  const name = 'ti_loss_clip_skip2';
  const options = { clipSkip: 2, batch: 2, latentHeight: 8, latentWidth: 8, vectors: 3 };
  const s = await session(options);
  try {
    const doubled = await s.run(textualInversionFeeds(arch, options, caseStep(name, 2)));
    assert.ok(relL2(doubled.loss.data as Float32Array, fixture.float(`${name}.loss`).data) < 5e-5);
    assert.ok(relL2(doubled.grad.data as Float32Array, fixture.float(`${name}.grad`).data) < 5e-5);

    // Different rows: row 1 has its placeholders at 3, 1, 2 and another timestep.
    const step = { ...caseStep(name, 2), placeholderPositions: [[1, 2, 3], [3, 1, 2]], timesteps: [500, 120] };
    const base = await s.run(textualInversionFeeds(arch, options, step));
    const gradient = base.grad.data as Float32Array;
    // directional derivative along a fixed pseudo-random direction; steps sized for embeddings of
    // std ~0.02 so that float32 rounding of the loss stays small
    const direction = Float32Array.from(step.emb, (_, i) => Math.sin(i * 12.9898));
    const analytic = gradient.reduce((sum, g, i) => sum + g * direction[i], 0);
    const numeric = await finiteDifference(s, arch, options, step, direction, 4e-3);
    assert.ok(Math.abs(numeric - analytic) < 1e-2 * Math.abs(analytic), `numeric ${numeric} vs analytic ${analytic}`);
  } finally {
    await s.release();
  }
});

/** Directional derivative of the loss by Richardson-extrapolated central differences. */
async function finiteDifference(s: Session, arch: Sd1Architecture, options: TextualInversionLossOptions, step: TextualInversionStep, direction: Float32Array, h: number): Promise<number> {
  const lossAt = async (t: number) => {
    const emb = Float32Array.from(step.emb, (v, i) => v + t * direction[i]);
    const out = await s.run(textualInversionFeeds(arch, options, { ...step, emb }));
    return (out.loss.data as Float32Array)[0];
  };
  const central = async (t: number) => ((await lossAt(t)) - (await lossAt(-t))) / (2 * t);
  return (4 * (await central(h / 2)) - (await central(h))) / 3;
}

test('another architecture (3 levels, 2 res blocks, attention only below level 0, depth-2 transformers, fp16 weights, non-square latents): gradient matches finite differences', async () => {
  const config: RandomCheckpointConfig = {
    textEncoder: { vocabSize: 49408, positions: 77, width: 48, layers: 4, mlpWidth: 96 },
    unet: { inChannels: 4, outChannels: 4, modelChannels: 32, channelMult: [1, 2, 3], numResBlocks: 2, attentionLevels: [false, true, true], transformerDepth: 2, contextDim: 48 },
    vae: { ch: 32, chMult: [1, 2], numResBlocks: 1, zChannels: 4, embedDim: 4, inChannels: 3, outChannels: 3 },
    dtype: 'F16',
  };
  const dir = mkdtempSync(join(tmpdir(), 'es-ti-variant-'));
  try {
    const path = join(dir, 'variant.safetensors');
    writeRandomCheckpoint(path, config, 7);
    const file = openSafetensors(path);
    const variant = inferSd1Architecture(file, { textHeads: 3, unetHeads: 4 });
    assert.deepEqual(variant.unet.levels.map((l) => [l.channels, l.attention, l.transformerDepth]), [[32, false, 0], [64, true, 2], [96, true, 2]]);
    const options = { clipSkip: 2, batch: 2, latentHeight: 8, latentWidth: 12, vectors: 2 };
    const built = buildTextualInversionLossGraph(file, variant, options);
    const s = await createWeightedSession(built.bytes, built.weights, { inMemory: true, session: { provider: 'cpu' } });
    try {
      const n = 2 * 4 * 8 * 12;
      const ids = new BigInt64Array(2 * 77).fill(49407n);
      ids[0] = ids[77] = 49406n;
      const step: TextualInversionStep = {
        emb: Float32Array.from({ length: 2 * 48 }, (_, i) => 0.02 * Math.cos(i)),
        inputIds: ids,
        placeholderPositions: [[1, 2], [3, 1]],
        x0: Float32Array.from({ length: n }, (_, i) => 0.5 * Math.sin(0.3 * i)),
        noise: Float32Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 1)),
        timesteps: [40, 700],
        alphasCumprod,
      };
      const out = await s.run(textualInversionFeeds(variant, options, step));
      assert.deepEqual(out.grad.shape, [2, 48]);
      const direction = Float32Array.from(step.emb, (_, i) => Math.sin(i * 12.9898));
      const analytic = (out.grad.data as Float32Array).reduce((sum, g, i) => sum + g * direction[i], 0);
      const numeric = await finiteDifference(s, variant, options, step, direction, 4e-3);
      assert.ok(Math.abs(numeric - analytic) < 1e-2 * Math.abs(analytic), `numeric ${numeric} vs analytic ${analytic}`);
    } finally {
      await s.release();
      file.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('feeds check the batch and the schedule range', () => {
  const options = { batch: 2, latentHeight: 8, latentWidth: 8, vectors: 3 };
  assert.throws(() => textualInversionFeeds(arch, options, caseStep('ti_loss_clip_skip1')), /needs 2 timesteps/);
  const step = { ...caseStep('ti_loss_clip_skip1', 2), timesteps: [10, 1000] };
  assert.throws(() => textualInversionFeeds(arch, options, step), /timestep 1000 is outside the schedule's 0\.\.999/);
  const feeds = textualInversionFeeds(arch, options, { ...step, timesteps: [500, 0] });
  const scale = feeds[textualInversionInputs.signalScale].data as Float32Array;
  assert.equal(scale[0], Math.fround(Math.sqrt(0.2763326838229747)));
  assert.equal(scale[1], Math.fround(Math.sqrt(1 - 0.00085)));
});
