import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainerEvent } from '../../src/protocol/trainerMessages';
import { applyEvent, averageAt, emptyModel, modelFromState, noChange } from '../../webview/monitor/monitorModel';

const progress = (step: number, loss: number | null = 0.1, lossAverage: number | null = 0.12, learningRate = 0.005): TrainerEvent => ({
  type: 'progress',
  step,
  epoch: 1,
  epochStep: step,
  loss,
  lossAverage,
  learningRate,
  stepsPerSecond: 1,
  etaSeconds: null,
  memory: { rssBytes: 1, peakRssBytes: 1 },
});

test('keeps every point up to the limit, then thins older points and keeps the tail whole', () => {
  const model = emptyModel(null, 2_000);
  for (let step = 1; step <= 2_000; step++) applyEvent(model, progress(step), {}, noChange());
  assert.equal(model.steps.length, 2_000);
  applyEvent(model, progress(2_001), {}, noChange());
  // 2,001 points: the newest 1,000 stay, the 1,001 before are halved (even indices kept).
  assert.equal(model.steps.length, 1_000 + 501);
  assert.deepEqual(model.steps.slice(0, 3), [1, 3, 5]);
  assert.deepEqual(model.steps.slice(-1_000), Array.from({ length: 1_000 }, (_, i) => 1_002 + i));
  assert.equal(model.loss.length, model.steps.length);
  assert.equal(model.learningRate.length, model.steps.length);
});

test('a rollback to an earlier step drops the abandoned branch of the curve', () => {
  const model = emptyModel();
  for (let step = 1; step <= 10; step++) applyEvent(model, progress(step, step / 100), {}, noChange());
  applyEvent(model, progress(6, 0.5), {}, noChange());
  assert.deepEqual(model.steps, [1, 2, 3, 4, 5, 6]);
  assert.equal(model.loss[5], 0.5);
});

test('saved markers sit at the trainer loss, else at the moving average of that step', () => {
  const model = emptyModel();
  for (let step = 1; step <= 10; step++) applyEvent(model, progress(step, 0.2, step / 100), {}, noChange());
  applyEvent(model, { type: 'saved', step: 5, path: '/e-5.safetensors', loss: null, kind: 'embedding' }, {}, noChange());
  applyEvent(model, { type: 'saved', step: 10, path: '/e-10.safetensors', loss: 0.3, kind: 'embedding' }, {}, noChange());
  applyEvent(model, { type: 'saved', step: 10, path: '/state', loss: 0.3, kind: 'state' }, {}, noChange());
  assert.deepEqual(model.saved, [
    { step: 5, path: '/e-5.safetensors', loss: 0.05 },
    { step: 10, path: '/e-10.safetensors', loss: 0.3 },
  ]);
  assert.equal(averageAt(model, 7), 0.07);
  assert.ok(Number.isNaN(averageAt(emptyModel(), 7)));
});

test('status follows pause, resume, finish and error; previews take the URI the host gave', () => {
  const model = emptyModel();
  const change = noChange();
  applyEvent(model, progress(1), {}, change);
  assert.equal(model.status, 'running');
  applyEvent(model, { type: 'paused', step: 1 }, {}, change);
  assert.equal(model.status, 'paused');
  applyEvent(model, { type: 'resumed', step: 1 }, {}, change);
  assert.equal(model.status, 'running');
  const preview: TrainerEvent = { type: 'preview', step: 1, path: '/run/images/a-1.png', prompt: 'a', negativePrompt: '', seed: 1, sampler: 'DDIM', samplingSteps: 20, differenceFromPrevious: null };
  applyEvent(model, preview, { '/run/images/a-1.png': 'https://webview/a-1.png' }, change);
  applyEvent(model, preview, {}, change); // the same preview again replaces, not duplicates
  assert.equal(model.previews.length, 1);
  assert.equal(model.previews[0].uri, null);
  applyEvent(model, { type: 'finished', reason: 'completed', step: 1, embeddingPath: '/run/a.safetensors', bestLoss: 0.09 }, {}, change);
  assert.equal(model.status, 'finished');
  assert.equal(model.bestLoss, 0.09);
  // A null loss (not finite) is a gap in the curve and a marked step, never a point.
  applyEvent(model, progress(2, null, null), {}, change);
  assert.ok(Number.isNaN(model.loss[1]) && Number.isNaN(model.lossAverage[1]));
  assert.deepEqual(model.nonFiniteSteps, [2]);
  applyEvent(model, { type: 'error', message: 'boom' }, {}, change);
  assert.equal(model.status, 'failed');
  assert.deepEqual(change, { chart: true, summary: true, gallery: true, notices: true });
});

test('a saved state comes back only when it is whole', () => {
  const model = emptyModel();
  applyEvent(model, progress(1), {}, noChange());
  const roundTripped = JSON.parse(JSON.stringify(model));
  assert.deepEqual(modelFromState(roundTripped), model);
  assert.equal(modelFromState({ ...roundTripped, version: 2 }), null);
  assert.equal(modelFromState({ ...roundTripped, loss: [] }), null);
  assert.equal(modelFromState(undefined), null);
});

test('-1 is a loss like any other now: only null marks a non-finite step', () => {
  const model = emptyModel();
  applyEvent(model, progress(1, -1, -1), {}, noChange());
  assert.deepEqual([model.loss[0], model.lossAverage[0], model.nonFiniteSteps], [-1, -1, []]);
});

test('non-finite steps survive thinning, a rollback past them drops them, and the best loss ignores them', () => {
  const model = emptyModel(null, 2_000);
  // Steps 4 and 6 sit at odd indices (3, 5) of the thinned part, which thinning drops; 1_501 is in the whole tail.
  const nonFinite = new Set([4, 6, 1_501]);
  for (let step = 1; step <= 2_001; step++) applyEvent(model, nonFinite.has(step) ? progress(step, null, step === 4 ? null : 0.2) : progress(step, 0.3, 0.25), {}, noChange());
  assert.deepEqual(model.nonFiniteSteps, [4, 6, 1_501]);
  // Thinning kept them because they are gaps, and still dropped the other odd indices (step 8).
  for (const step of [4, 6]) {
    const i = model.steps.indexOf(step);
    assert.ok(i >= 0 && Number.isNaN(model.loss[i]), `step ${step} kept as a gap`);
  }
  assert.equal(model.steps.indexOf(8), -1);
  assert.equal(model.bestLoss, 0.2);
  applyEvent(model, progress(1_000, 0.1, 0.1), {}, noChange());
  assert.deepEqual(model.nonFiniteSteps, [4, 6]);
});

test('a saved state brings the gaps back as NaN, not as null (which arithmetic reads as 0)', () => {
  const model = emptyModel();
  applyEvent(model, progress(1), {}, noChange());
  applyEvent(model, progress(2, null, 0.12), {}, noChange());
  const restored = modelFromState(JSON.parse(JSON.stringify(model)))!;
  assert.ok(Number.isNaN(restored.loss[1]));
  assert.deepEqual(restored.nonFiniteSteps, [2]);
  // A state saved before non-finite steps were tracked still loads.
  const older = JSON.parse(JSON.stringify(model));
  delete older.nonFiniteSteps;
  assert.deepEqual(modelFromState(older)!.nonFiniteSteps, []);
});
