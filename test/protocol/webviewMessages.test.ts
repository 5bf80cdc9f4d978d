import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseHostToMonitorMessage,
  parseMonitorAction,
  parseMonitorToHostMessage,
  trainerCommandOf,
  type MonitorAction,
} from '../../src/protocol/webviewMessages';
import { parseTrainerCommand, ProtocolError } from '../../src/protocol/trainerMessages';

test('accepts every well-formed message from the page', () => {
  const messages = [
    { type: 'ready', sessionId: null, received: 0 },
    { type: 'ready', sessionId: 'run-1', received: 1200 },
    { type: 'action', action: { type: 'pause' } },
    { type: 'action', action: { type: 'setLearningRate', schedule: '0.0001' } },
    { type: 'action', action: { type: 'rollback', embeddingPath: '/r/e-250.safetensors' } },
    { type: 'action', action: { type: 'rollback', embeddingPath: '/r/e-250.safetensors', schedule: '0.001' } },
    { type: 'action', action: { type: 'openLintResults' } },
    { type: 'action', action: { type: 'openFile', path: '/r/log.txt' } },
  ];
  for (const message of messages) assert.deepEqual(parseMonitorToHostMessage(message), message);
});

test('refuses malformed messages from the page, saying what is wrong', () => {
  const cases: [unknown, RegExp][] = [
    [null, /expected an object, got null/],
    [{ type: 'hello' }, /unknown message type "hello"/],
    [{ type: 'ready', sessionId: 3, received: 0 }, /field 'sessionId'/],
    [{ type: 'ready', sessionId: null, received: -1 }, /field 'received'/],
    [{ type: 'ready', sessionId: null, received: 1.5 }, /field 'received'/],
    [{ type: 'action', action: { type: 'format-disk' } }, /monitor action: unknown message type "format-disk"/],
    [{ type: 'action', action: { type: 'setLearningRate' } }, /field 'schedule'/],
    [{ type: 'action', action: { type: 'rollback', embeddingPath: '/e', schedule: 5 } }, /field 'schedule'/],
    [{ type: 'action' }, /monitor action: expected an object/],
  ];
  for (const [message, error] of cases) {
    assert.throws(() => parseMonitorToHostMessage(message), (e: Error) => e instanceof ProtocolError && error.test(e.message), JSON.stringify(message));
  }
});

test('checks host messages, including every trainer event they carry', () => {
  const session = { id: 's', title: 'Training a', runDir: null, live: true };
  assert.deepEqual(parseHostToMonitorMessage({ type: 'session', session }), { type: 'session', session });
  const events = { type: 'events', sessionId: 's', first: 0, events: [{ type: 'paused', step: 3 }], imageUris: { '/a.png': 'https://x/a.png' } };
  assert.deepEqual(parseHostToMonitorMessage(events), events);
  assert.deepEqual(parseHostToMonitorMessage({ type: 'live', sessionId: 's', live: false }), { type: 'live', sessionId: 's', live: false });
  assert.deepEqual(parseHostToMonitorMessage({ type: 'notice', level: 'error', message: 'x' }), { type: 'notice', level: 'error', message: 'x' });
  assert.throws(() => parseHostToMonitorMessage({ type: 'session', session: { ...session, live: 'yes' } }), /field 'live'/);
  assert.throws(() => parseHostToMonitorMessage({ ...events, events: [{ type: 'paused' }] }), /event 0: .*field 'step'/);
  assert.throws(() => parseHostToMonitorMessage({ ...events, imageUris: { '/a.png': 3 } }), /imageUris/);
  assert.throws(() => parseHostToMonitorMessage({ type: 'notice', level: 'fatal', message: 'x' }), /field 'level'/);
});

test('each trainer action maps to the trainer command of the same meaning, which the trainer protocol accepts', () => {
  const actions: MonitorAction[] = [
    { type: 'pause' },
    { type: 'resume' },
    { type: 'stop' },
    { type: 'saveNow' },
    { type: 'setLearningRate', schedule: '0.0001' },
    { type: 'rollback', embeddingPath: '/e.safetensors' },
    { type: 'rollback', embeddingPath: '/e.safetensors', schedule: '0.001' },
  ];
  for (const action of actions) {
    const command = trainerCommandOf(parseMonitorAction(action));
    assert.deepEqual(command, action);
    assert.deepEqual(parseTrainerCommand(command), action);
  }
  assert.equal(trainerCommandOf({ type: 'openLintResults' }), null);
  assert.equal(trainerCommandOf({ type: 'openFile', path: '/x' }), null);
});
