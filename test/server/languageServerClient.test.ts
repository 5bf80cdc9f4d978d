// The test client's waits are bounded: diagnostics that never come fail at the bound with the
// predicate, what was published, and the server's log; a server that dies fails the wait at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { LanguageServerClient, fileUri } from './languageServerClient';
import { writeDataset } from './generatedDataset';

let folder: string;
before(async () => {
  folder = await writeDataset([{ stem: 'a', caption: '1girl, solo, solo' }]);
});
after(() => rmSync(folder, { recursive: true, force: true }));

test('diagnostics that never satisfy the wait fail at its bound, saying what was awaited and what came', async () => {
  const client = LanguageServerClient.start();
  try {
    await client.initialize(folder);
    const uri = fileUri(join(folder, 'a.txt'));
    await client.diagnostics(uri, (list) => list.some((d) => d.code === 'duplicate-tag'));
    const started = Date.now();
    await assert.rejects(client.diagnostics(uri, (list) => list.some((d) => d.code === 'no-such-rule'), 1500), (error: Error) => {
      assert.match(error.message, /^timed out after 1500 ms waiting for diagnostics of file:\S+a\.txt satisfying .*no-such-rule/);
      assert.match(error.message, /last published for it \(version none\): \[.*duplicate-tag: /);
      assert.match(error.message, /server log \(last lines\):\ncaption-length: CLIP token counts from/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000);
  } finally {
    await client.stop();
  }
});

test('a server that exits fails the pending wait at once, with how it ended', async () => {
  const client = LanguageServerClient.start();
  await client.initialize(folder);
  const pending = client.diagnostics(fileUri(join(folder, 'a.txt')), () => false, 60_000, 'something after the crash');
  process.kill(client.pid!, 'SIGKILL');
  const started = Date.now();
  await assert.rejects(pending, /^Error: the language server exited \(signal SIGKILL\) while waiting for something after the crash/);
  assert.ok(Date.now() - started < 10_000);
  await client.stop(1000).catch(() => undefined);
});
