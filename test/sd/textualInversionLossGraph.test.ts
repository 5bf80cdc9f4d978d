import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Session } from '../../src/onnx';
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
    // directional derivative along a fixed pseudo-random direction, central differences
    const direction = Float32Array.from(step.emb, (_, i) => Math.sin(i * 12.9898));
    const lossAt = async (h: number) => {
      const emb = Float32Array.from(step.emb, (v, i) => v + h * direction[i]);
      const out = await s.run(textualInversionFeeds(arch, options, { ...step, emb }));
      return (out.loss.data as Float32Array)[0];
    };
    const analytic = gradient.reduce((sum, g, i) => sum + g * direction[i], 0);
    // Richardson extrapolation of central differences: O(h⁴) truncation with steps large enough
    // (relative to embeddings of std ~0.02) that float32 rounding of the loss stays small.
    const central = async (h: number) => ((await lossAt(h)) - (await lossAt(-h))) / (2 * h);
    const h = 4e-3;
    const numeric = (4 * (await central(h / 2)) - (await central(h))) / 3;
    assert.ok(Math.abs(numeric - analytic) < 1e-2 * Math.abs(analytic), `numeric ${numeric} vs analytic ${analytic}`);
  } finally {
    await s.release();
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
