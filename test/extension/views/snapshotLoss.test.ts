import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotLossText } from '../../../src/extension/views/snapshotLoss';

test('the status bar and Runs view say "loss: not finite" for a null loss, the average otherwise, nothing before progress', () => {
  assert.equal(snapshotLossText({ loss: null, lossAverage: null, stepsPerSecond: null }), '');
  assert.equal(snapshotLossText({ loss: null, lossAverage: 0.1234, stepsPerSecond: 2 }), 'loss: not finite');
  assert.equal(snapshotLossText({ loss: null, lossAverage: null, stepsPerSecond: 0 }), 'loss: not finite');
  assert.equal(snapshotLossText({ loss: 0.2, lossAverage: 0.1234, stepsPerSecond: 2 }), 'loss 0.123');
  assert.equal(snapshotLossText({ loss: 0.2, lossAverage: null, stepsPerSecond: 2 }), 'loss 0.200');
});
