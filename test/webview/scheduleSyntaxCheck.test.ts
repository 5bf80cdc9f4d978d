// The page's check is the trainer's parser; these pin what the page shows for the cases users hit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLearningRateSchedule } from '../../webview/monitor/scheduleSyntaxCheck';

const run = { maxSteps: 30_000, currentStep: 0 };

test('accepts the tutorial schedule and plain rates', () => {
  for (const text of ['0.005', '0.005:12000, 0.0001:20000, 0.00001', ' 5e-3 : 100 ,1e-4', '.001:-1', '0.005:100,0.001']) {
    assert.equal(checkLearningRateSchedule(text, run).ok, true, text);
  }
  assert.deepEqual(checkLearningRateSchedule('0.005:12000, 0.0001:20000, 0.00001', run).warnings, []);
});

test('rejects what the trainer rejects, with the position', () => {
  assert.match(checkLearningRateSchedule('', run).error!, /Enter a learning rate/);
  assert.match(checkLearningRateSchedule('0.005:abc', run).error!, /character 7: "abc" is not a whole step number/);
  assert.match(checkLearningRateSchedule('0.005:100, fast:200', run).error!, /character 12: "fast" is not a number/);
  assert.match(checkLearningRateSchedule('0.005:1:2', run).error!, /more than one ':'/);
  assert.match(checkLearningRateSchedule('0:100', run).error!, /greater than 0/);
  assert.match(checkLearningRateSchedule('0.005:200, 0.001:100', run).error!, /steps must increase/);
  // While running, entries that already ended are skipped; a schedule that ended entirely is refused.
  assert.match(checkLearningRateSchedule('0.005:100', { maxSteps: 30_000, currentStep: 500 }).error!, /every entry ends at or before the current step 500/);
});

test('warns where the schedule would not do what it seems to', () => {
  assert.match(checkLearningRateSchedule('0.005, 0.0001:20000', run).warnings[0], /is ignored/);
  assert.match(checkLearningRateSchedule('0.005:12000', run).warnings[0], /ends at step 12000, before max steps 30000/);
  assert.match(checkLearningRateSchedule('0.0000005', run).warnings[0], /below 0.000001/);
  assert.deepEqual(checkLearningRateSchedule('0.000001', run).warnings, []);
});
