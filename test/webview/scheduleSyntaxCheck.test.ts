import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLearningRateSchedule } from '../../webview/monitor/scheduleSyntaxCheck';

test('accepts the tutorial schedule and plain rates', () => {
  for (const text of ['0.005', '0.005:12000, 0.0001:20000, 0.00001', ' 5e-3 : 100 ,1e-4', '.001:-1', '0.005:100,']) {
    const check = checkLearningRateSchedule(text);
    assert.equal(check.ok, true, text);
  }
  assert.deepEqual(checkLearningRateSchedule('0.005:12000, 0.0001:20000, 0.00001').warnings, []);
});

test('rejects what the trainer would reject, naming the entry', () => {
  assert.match(checkLearningRateSchedule('').error!, /Enter a learning rate/);
  assert.match(checkLearningRateSchedule('0.005:abc').error!, /entry 1 \("0.005:abc"\): the step "abc" must be a whole number/);
  assert.match(checkLearningRateSchedule('0.005:100, fast:200').error!, /entry 2 .*"fast" is not a number/);
  assert.match(checkLearningRateSchedule('0.005:1:2').error!, /single colon/);
  assert.match(checkLearningRateSchedule('0:100').error!, /greater than 0/);
  assert.match(checkLearningRateSchedule('-0.005').error!, /not a number/);
  assert.match(checkLearningRateSchedule('0.005:1.5').error!, /whole number/);
});

test('warns where A1111 silently ignores entries, and below the tutorial floor', () => {
  assert.deepEqual(checkLearningRateSchedule('0.005, 0.0001:20000').warnings, ['entry 2 ("0.0001:20000") is ignored: entry 1 has no step, so it runs to the end']);
  assert.deepEqual(checkLearningRateSchedule('0.005:200, 0.001:100').warnings, ['entry 2 ("0.001:100") is ignored: its step 100 is not after the previous step 200']);
  assert.match(checkLearningRateSchedule('0.0000005').warnings[0], /below 0.000001/);
  assert.deepEqual(checkLearningRateSchedule('0.000001').warnings, []);
});
