import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRateAt, nextLowerLearningRate, parseLearningRateSchedule, ScheduleSyntaxError } from '../../src/train/learningRateSchedule';

test("the tutorial's schedule: each rate applies while steps done < its step, the last runs to max steps", () => {
  const s = parseLearningRateSchedule('0.005:12000, 0.0001:20000, 0.00001', 100000);
  assert.deepEqual(s.entries.map((e) => [e.rate, e.endStep]), [[0.005, 12000], [0.0001, 20000], [0.00001, 100000]]);
  assert.equal(learningRateAt(s, 0), 0.005);
  assert.equal(learningRateAt(s, 11999), 0.005);
  assert.equal(learningRateAt(s, 12000), 0.0001);
  assert.equal(learningRateAt(s, 19999), 0.0001);
  assert.equal(learningRateAt(s, 20000), 0.00001);
  assert.equal(learningRateAt(s, 100000), null);
  assert.deepEqual(s.warnings, []);
});

test('a rate with no step or with :-1 ends the schedule; what follows is ignored with a warning', () => {
  const a = parseLearningRateSchedule('0.01, 0.5:10', 1000);
  assert.deepEqual(a.entries.map((e) => [e.rate, e.endStep]), [[0.01, 1000]]);
  assert.match(a.warnings.join('\n'), /character 7 on is ignored/);
  const b = parseLearningRateSchedule('0.02:-1, 0.001', 500);
  assert.deepEqual(b.entries.map((e) => [e.rate, e.endStep]), [[0.02, 500]]);
  assert.equal(b.warnings.length, 1);
});

test('a step beyond max steps is cut to max steps and ends the schedule', () => {
  const s = parseLearningRateSchedule('0.005:50, 0.001:5000, 0.0001', 300);
  assert.deepEqual(s.entries.map((e) => [e.rate, e.endStep]), [[0.005, 50], [0.001, 300]]);
});

test('warns when every entry ends before max steps (A1111 would stop there silently)', () => {
  const s = parseLearningRateSchedule('0.005:100, 0.001:200', 1000);
  assert.equal(s.endStep, 200);
  assert.equal(learningRateAt(s, 200), null);
  assert.match(s.warnings[0], /ends at step 200, before max steps 1000/);
});

test('resuming skips entries whose step is already reached', () => {
  const s = parseLearningRateSchedule('0.005:100, 0.001:200, 0.0001', 1000, 150);
  assert.deepEqual(s.entries.map((e) => e.rate), [0.001, 0.0001]);
});

test('syntax errors carry the 1-based character position', () => {
  assert.throws(() => parseLearningRateSchedule('0.005:100, abc:200', 1000), (e: unknown) => e instanceof ScheduleSyntaxError && e.position === 11 && /character 12: "abc" is not a number/.test(e.message));
  assert.throws(() => parseLearningRateSchedule('0.005:1x0', 1000), /character 7: "1x0" is not a whole step number/);
  assert.throws(() => parseLearningRateSchedule('0.005:100, 0.001:50', 1000), /steps must increase/);
  assert.throws(() => parseLearningRateSchedule('', 1000), /empty/);
  assert.throws(() => parseLearningRateSchedule('0', 1000), /greater than 0/);
});

test('warns below 1e-6 with the tutorial reason', () => {
  const s = parseLearningRateSchedule('0.0000005', 10);
  assert.match(s.warnings.join(), /below 0\.000001: training images are 512×512/);
});

test('next lower rate follows the tutorial plan', () => {
  assert.equal(nextLowerLearningRate(0.005), 0.0001);
  assert.equal(nextLowerLearningRate(0.0001), 0.00001);
  assert.equal(nextLowerLearningRate(0.00001), 0.000001);
  assert.equal(nextLowerLearningRate(0.000001), null);
  assert.equal(nextLowerLearningRate(0.002), 0.0001);
});
