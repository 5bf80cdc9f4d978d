// The trainer -> host contract for a progress loss: a finite number, or null when the step's loss
// was not finite. JSON cannot carry NaN or Infinity, and no number stands in for them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTrainerEvent, ProtocolError } from '../../src/protocol/trainerMessages';
import { parseHostToMonitorMessage } from '../../src/protocol/webviewMessages';

const progress = (loss: unknown, lossAverage: unknown) => ({
  type: 'progress',
  step: 57,
  epoch: 1,
  epochStep: 7,
  loss,
  lossAverage,
  learningRate: 0.05,
  stepsPerSecond: 2,
  etaSeconds: 10,
  memory: { rssBytes: 1, peakRssBytes: 2 },
});

test('a progress loss is a finite number or null (not finite), and survives JSON as such', () => {
  for (const [loss, average] of [
    [0.1234, 0.11],
    [null, 0.11],
    [null, null],
    [0, 0],
  ]) {
    const sent = JSON.parse(JSON.stringify(progress(loss, average)));
    assert.deepEqual(parseTrainerEvent(sent), progress(loss, average));
  }
});

test('-1 carries no special meaning: it is accepted as the number it is', () => {
  // The trainer used to send -1 for "not finite"; it now sends null, so -1 is just a (strange) loss.
  const event = parseTrainerEvent(progress(-1, -1));
  assert.equal(event.type === 'progress' && event.loss, -1);
});

test('NaN, ±Infinity, strings and a missing loss are refused, naming the field and the value', () => {
  const cases: [unknown, unknown, RegExp][] = [
    [Number.NaN, 0.1, /field 'loss' should be finite\|null, got NaN/],
    [Number.POSITIVE_INFINITY, 0.1, /field 'loss' should be finite\|null, got Infinity/],
    [0.1, Number.NEGATIVE_INFINITY, /field 'lossAverage' should be finite\|null, got -Infinity/],
    ['nan', 0.1, /field 'loss' should be finite\|null, got "nan"/],
    [0.1, '0.1', /field 'lossAverage' should be finite\|null, got "0.1"/],
    [undefined, 0.1, /field 'loss' should be finite\|null, got undefined/],
  ];
  for (const [loss, average, error] of cases) {
    assert.throws(() => parseTrainerEvent(progress(loss, average)), (e: Error) => e instanceof ProtocolError && error.test(e.message), `${String(loss)} / ${String(average)}`);
  }
});

test('the monitor page checks the same contract on every event the host forwards', () => {
  const message = (event: unknown) => ({ type: 'events', sessionId: 's', first: 0, events: [event], imageUris: {} });
  assert.doesNotThrow(() => parseHostToMonitorMessage(message(progress(null, 0.2))));
  assert.throws(() => parseHostToMonitorMessage(message(progress(Number.NaN, 0.2))), /event 0: .*field 'loss'/);
});

test('a diverged guidance may carry the next lower rate of the plan', () => {
  const guidance = { type: 'guidance', kind: 'diverged', step: 57, message: 'm', suggestedLearningRate: 0.005 };
  assert.deepEqual(parseTrainerEvent(guidance), guidance);
  assert.throws(() => parseTrainerEvent({ ...guidance, suggestedLearningRate: 'low' }), /suggestedLearningRate/);
});
