import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LossMonitor } from '../../src/train/lossMonitor';

const options = { window: 10, previewStableDifference: 0.02, previewStableCount: 3 };

test('healthy once the window mean settles in 0.08–0.13, reported once', () => {
  const m = new LossMonitor(options);
  const events = [];
  for (let s = 1; s <= 30; s++) events.push(...m.observe(s, s % 2 ? 0.09 : 0.12));
  assert.deepEqual(events.map((e) => [e.kind, e.step]), [['healthy', 10]]);
});

test('plateau between 0.17 and 0.25 points at the dataset', () => {
  const m = new LossMonitor(options);
  const events = [];
  for (let s = 1; s <= 12; s++) events.push(...m.observe(s, 0.2));
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, 'plateau');
  assert.match(events[0].message, /outfits|styles/);
});

test('diverged above 0.3 for the window offers the lowest-loss saved embedding', () => {
  const m = new LossMonitor(options);
  m.noteSaved('e-100.safetensors', 100, 0.15);
  m.noteSaved('e-200.safetensors', 200, 0.11);
  m.noteSaved('e-300.safetensors', 300, 0.4);
  const events = [];
  for (let s = 301; s <= 320; s++) events.push(...m.observe(s, 0.5));
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, 'diverged');
  assert.deepEqual(events[0].rollbackTo, { path: 'e-200.safetensors', step: 200, loss: 0.11 });
});

test('NaN or Infinity is diverged at once, window or not', () => {
  const m = new LossMonitor(options);
  const [event] = m.observe(3, Number.NaN);
  assert.equal(event.kind, 'diverged');
  assert.equal(event.rollbackTo, undefined);
  assert.match(event.message, /No embedding was saved yet/);
});

test('between bands, or before the window fills, nothing is said', () => {
  const m = new LossMonitor(options);
  for (let s = 1; s <= 9; s++) assert.deepEqual(m.observe(s, 0.5), []);
  const m2 = new LossMonitor(options);
  for (let s = 1; s <= 30; s++) assert.deepEqual(m2.observe(s, 0.15), []);
});

test('three alike previews suggest the next lower rate of the plan', () => {
  const m = new LossMonitor(options);
  assert.deepEqual(m.observePreview(500, null, 0.005), []);
  assert.deepEqual(m.observePreview(1000, 0.01, 0.005), []);
  const [event] = m.observePreview(1500, 0.015, 0.005);
  assert.equal(event.kind, 'previews-stable');
  assert.equal(event.suggestedLearningRate, 0.0001);
  assert.deepEqual(m.observePreview(2000, 0.01, 0.005), []); // said once
  assert.deepEqual(m.observePreview(2500, 0.2, 0.005), []);
});

test('a non-finite loss says the step was skipped and offers the plan’s next rate', () => {
  const m = new LossMonitor(options);
  m.noteSaved('e-2.safetensors', 2, 0.12);
  const [event] = m.observe(3, Number.POSITIVE_INFINITY, 0.05);
  assert.equal(event.kind, 'diverged');
  assert.match(event.message, /the loss is not finite \(Infinity\) at step 3/);
  assert.match(event.message, /this step was skipped \(the embedding was not updated\)/);
  assert.match(event.message, /the learning rate 0.05 is too high/);
  // 0.05 is above the tutorial's start: back to 0.005, the first rate of the plan.
  assert.match(event.message, /Roll back to e-2.safetensors \(step 2, loss 0.1200\) and continue with the learning rate lowered to 0.005/);
  assert.equal(event.suggestedLearningRate, 0.005);
  assert.deepEqual(event.rollbackTo, { path: 'e-2.safetensors', step: 2, loss: 0.12 });
  // The window holds finite losses only: the average is untouched by the non-finite step.
  const m2 = new LossMonitor(options);
  m2.observe(1, 0.2, 0.005);
  m2.observe(2, Number.NaN, 0.005);
  assert.equal(m2.average, 0.2);
});

test('a finite loss with a non-finite gradient is also a skipped step; at the floor rate the advice says so', () => {
  const m = new LossMonitor(options);
  const [event] = m.observe(8, 0.5, 0.0001, false);
  assert.equal(event.kind, 'diverged');
  assert.match(event.message, /the gradient is not finite at step 8 \(loss 0.5000\): this step was skipped/);
  assert.match(event.message, /restart with the learning rate lowered to 0.00001/);
  assert.equal(event.suggestedLearningRate, 0.00001);
  const floor = new LossMonitor(options);
  const [atFloor] = floor.observe(9, Number.NaN, 0.000001);
  assert.equal(atFloor.suggestedLearningRate, undefined);
  assert.match(atFloor.message, /already at the tutorial's floor \(0.000001\)/);
});

test('random weights: the same notices, saying what they mean there, with no rollback and no rate to apply', () => {
  const m = new LossMonitor({ ...options, randomWeights: true });
  m.noteSaved('e-5.safetensors', 5, 0.9);
  const events = [];
  for (let s = 1; s <= 20; s++) events.push(...m.observe(s, 1.05, 0.005));
  assert.equal(events.length, 1);
  assert.equal(events[0].kind, 'diverged');
  assert.match(events[0].message, /^the loss has stayed above 0\.3 \(mean 1\.050 over the last 10 steps\), as it does with random weights: not a divergence, and nothing to roll back to/);
  assert.equal(events[0].rollbackTo, undefined);
  assert.equal(events[0].suggestedLearningRate, undefined);
  const previews = [m.observePreview(10, 0.001, 0.005), m.observePreview(20, 0.001, 0.005)].flat();
  assert.equal(previews.length, 1);
  assert.equal(previews[0].kind, 'previews-stable');
  assert.match(previews[0].message, /as a random model's do: on a real checkpoint it suggests lowering the learning rate to 0\.0001/);
  assert.equal(previews[0].suggestedLearningRate, undefined);
  // a non-finite loss is a real divergence, random weights or not
  const m2 = new LossMonitor({ ...options, randomWeights: true });
  const [nan] = m2.observe(3, Number.NaN, 0.005);
  assert.equal(nan.kind, 'diverged');
  assert.match(nan.message, /the loss is not finite/);
  assert.equal(nan.suggestedLearningRate, 0.0001);
});
