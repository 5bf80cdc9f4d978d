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
