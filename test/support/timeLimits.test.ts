// The bounds themselves: a wait that runs out fails at its bound and says what it waited for; a
// child process run to its end is killed at its bound and named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBounded, WaitTimeout, withinTime } from './timeLimits';

test('withinTime: resolves as the promise does, or fails at the bound naming the wait and what was seen', async () => {
  assert.equal(await withinTime(Promise.resolve(7), 1000, 'seven'), 7);
  const started = Date.now();
  await assert.rejects(
    withinTime(new Promise(() => {}), 200, 'the event that never comes', () => 'last seen: nothing'),
    (error: Error) => error instanceof WaitTimeout && error.message === 'timed out after 200 ms waiting for the event that never comes\nlast seen: nothing',
  );
  const waited = Date.now() - started;
  assert.ok(waited >= 190 && waited < 5000, `waited ${waited} ms`);
  await assert.rejects(withinTime(Promise.reject(new Error('its own failure')), 1000, 'x'), /its own failure/);
});

test('runBounded: a child that never ends is killed at the bound, and the result says which command', () => {
  const started = Date.now();
  const result = runBounded(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { encoding: 'utf8', timeoutMs: 500 });
  assert.ok(Date.now() - started < 10_000);
  assert.equal(result.status, null);
  assert.equal(result.signal, 'SIGKILL');
  assert.ok(result.error instanceof WaitTimeout);
  assert.match(result.error.message, /^`\S+ -e setInterval\(\(\) => \{\}, 1000\)` did not finish within 500 ms and was killed$/);
  assert.match(result.stderr, /did not finish within 500 ms/);
  const quick = runBounded(process.execPath, ['-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
  assert.deepEqual([quick.status, quick.stdout, quick.error], [0, 'ok', undefined]);
});
