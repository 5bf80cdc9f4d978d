import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatDuration, formatLearningRate, formatLoss, formatSpeed } from '../../webview/monitor/formatFigures';

test('learning rates read as people write them in a schedule', () => {
  assert.equal(formatLearningRate(0.005), '0.005');
  assert.equal(formatLearningRate(0.0001), '0.0001');
  assert.equal(formatLearningRate(0.00001), '0.00001');
  assert.equal(formatLearningRate(0.000001), '0.000001');
  assert.equal(formatLearningRate(0.0012345), '0.00123');
  assert.equal(formatLearningRate(5e-8), '5.00e-8');
  assert.equal(formatLearningRate(NaN), '—');
});

test('durations, sizes, speeds and losses', () => {
  assert.equal(formatDuration(280), '4 min 40 s');
  assert.equal(formatDuration(3 * 3600 + 5 * 60 + 9), '3 h 05 min');
  assert.equal(formatDuration(9.4), '9 s');
  assert.equal(formatDuration(null), '—');
  assert.equal(formatBytes(1_230_000_000), '1.1 GiB');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
  assert.equal(formatSpeed(2.5), '2.50 steps/s');
  assert.equal(formatSpeed(0.25), '4.0 s/step');
  assert.equal(formatSpeed(0), '—');
  assert.equal(formatLoss(0.123456), '0.1235');
  assert.equal(formatLoss(null), '—');
});
