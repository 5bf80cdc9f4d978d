import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventsPerMessage, MonitorFeed } from '../../src/extension/monitorFeed';
import type { TrainerEvent } from '../../src/protocol/trainerMessages';
import type { HostToMonitorMessage } from '../../src/protocol/webviewMessages';

const paused = (step: number): TrainerEvent => ({ type: 'paused', step });
const preview: TrainerEvent = { type: 'preview', step: 5, path: '/run/images/a-5-0.png', prompt: 'a', negativePrompt: '', seed: 1, sampler: 'DDIM', samplingSteps: 20, differenceFromPrevious: null };

/** Stands in for VS Code's webview: records what reaches the page. */
function recordingFeed() {
  const posted: HostToMonitorMessage[] = [];
  const feed = new MonitorFeed({ post: (m) => posted.push(m), imageUri: (path) => `https://webview${path}` });
  return { feed, posted };
}

test('holds everything until the page says ready, then sends the session and its events', () => {
  const { feed, posted } = recordingFeed();
  const id = feed.startSession({ title: 'T', runDir: '/run', live: true });
  feed.appendEvents([paused(1), preview]);
  feed.forward();
  feed.notify('warning', 'before ready');
  assert.deepEqual(posted, []);
  assert.deepEqual(feed.receive({ type: 'ready', sessionId: null, received: 0 }), { ready: true });
  assert.deepEqual(posted, [
    { type: 'session', session: { id, title: 'T', runDir: '/run', live: true } },
    { type: 'events', sessionId: id, first: 0, events: [paused(1), preview], imageUris: { '/run/images/a-5-0.png': 'https://webview/run/images/a-5-0.png' } },
    { type: 'notice', level: 'warning', message: 'before ready' },
  ]);
  feed.dispose();
});

test('a page that comes back asks for the rest; one showing another session starts over', () => {
  const { feed, posted } = recordingFeed();
  const id = feed.startSession({ title: 'T', runDir: null, live: true });
  feed.receive({ type: 'ready', sessionId: null, received: 0 });
  feed.appendEvents([paused(1), paused(2)]);
  feed.forward();
  feed.pageHidden();
  feed.appendEvents([paused(3)]);
  feed.setLive(false);
  feed.forward();
  posted.length = 0;
  feed.receive({ type: 'ready', sessionId: id, received: 2 });
  assert.deepEqual(posted, [
    { type: 'live', sessionId: id, live: false },
    { type: 'events', sessionId: id, first: 2, events: [paused(3)], imageUris: {} },
  ]);
  posted.length = 0;
  feed.receive({ type: 'ready', sessionId: 'old', received: 7 });
  assert.equal(posted[0].type, 'session');
  assert.deepEqual(posted[1], { type: 'events', sessionId: id, first: 0, events: [paused(1), paused(2), paused(3)], imageUris: {} });
  // A page claiming more than the host holds also starts over.
  posted.length = 0;
  feed.receive({ type: 'ready', sessionId: id, received: 99 });
  assert.deepEqual(posted.map((m) => m.type), ['session', 'events']);
  feed.dispose();
});

test('long histories go in slices; actions pass through; invalid messages are reported', () => {
  const { feed, posted } = recordingFeed();
  const id = feed.startSession({ title: 'T', runDir: null, live: true });
  feed.appendEvents(Array.from({ length: eventsPerMessage * 2 + 1 }, (_, i) => paused(i)));
  feed.receive({ type: 'ready', sessionId: id, received: 0 });
  const slices = posted.filter((m): m is Extract<HostToMonitorMessage, { type: 'events' }> => m.type === 'events');
  assert.deepEqual(slices.map((m) => [m.first, m.events.length]), [[0, eventsPerMessage], [eventsPerMessage, eventsPerMessage], [eventsPerMessage * 2, 1]]);
  assert.deepEqual(feed.receive({ type: 'action', action: { type: 'rollback', embeddingPath: '/e.safetensors' } }), { action: { type: 'rollback', embeddingPath: '/e.safetensors' } });
  const invalid = feed.receive({ type: 'action', action: { type: 'rm -rf' } });
  assert.ok('invalid' in invalid && /unknown message type "rm -rf"/.test(invalid.invalid));
  assert.throws(() => new MonitorFeed({ post: () => undefined, imageUri: (p) => p }).appendEvents([paused(1)]), /start a session first/);
  feed.dispose();
});

test('events appended while the page listens arrive on their own, batched', async () => {
  const { feed, posted } = recordingFeed();
  const id = feed.startSession({ title: 'T', runDir: null, live: true });
  feed.receive({ type: 'ready', sessionId: null, received: 0 });
  posted.length = 0;
  for (let i = 0; i < 50; i++) feed.appendEvents([paused(i)]);
  await new Promise((done) => setTimeout(done, 120));
  assert.deepEqual(posted.map((m) => (m.type === 'events' ? [m.first, m.events.length] : m.type)), [[0, 50]]);
  assert.equal(feed.session?.id, id);
  feed.dispose();
});
