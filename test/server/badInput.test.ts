// Bad input reaches the server as diagnostics, never as a crash or a hang: binary and non-UTF-8
// caption files, a 5 MB caption, and a workspace folder that does not exist.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DidOpenTextDocumentNotification } from 'vscode-languageserver-protocol/node';
import { datasetStatisticsRequest } from '../../src/protocol/languageServerMessages';
import { LanguageServerClient, fileUri } from './languageServerClient';
import { writeDataset } from './generatedDataset';

describe('caption server on bad input', () => {
  let folder: string;
  let client: LanguageServerClient;

  before(async () => {
    folder = await writeDataset([{ stem: 'binary' }, { stem: 'latin1' }, { stem: 'huge' }, { stem: 'fine', caption: '1girl, smile' }]);
    writeFileSync(join(folder, 'binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x01, 0xff, 0x00]));
    writeFileSync(join(folder, 'latin1.txt'), Buffer.from('1girl, caf\xe9, smile', 'latin1'));
    writeFileSync(join(folder, 'huge.txt'), '1girl, '.repeat(750_000));
    client = LanguageServerClient.start();
    const status = await client.initialize(folder);
    assert.equal(status.state, 'ready', status.message);
  });

  after(async () => {
    await client?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('reports each unreadable caption on its file, naming the problem', async () => {
    for (const name of ['binary.txt', 'latin1.txt', 'huge.txt']) {
      const diagnostics = await client.diagnostics(fileUri(join(folder, name)));
      assert.ok(diagnostics.length > 0, `${name}: no diagnostic`);
      assert.ok(diagnostics.some((d) => d.code === 'unreadable-file'), `${name}: ${JSON.stringify(diagnostics)}`);
    }
  });

  it('keeps serving: statistics count the readable dataset, an opened caption lints', async () => {
    const [stats] = await client.connection.sendRequest(datasetStatisticsRequest);
    assert.equal(stats.images, 4);
    const uri = fileUri(join(folder, 'fine.txt'));
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'plaintext', version: 3, text: '1girl, smile, smile' } });
    const diagnostics = await client.diagnosticsAtVersion(uri, 3);
    assert.ok(diagnostics.some((d) => d.code === 'duplicate-tag'));
  });
});

describe('caption server on a workspace folder that does not exist', () => {
  it('says so instead of crashing, and still answers', async () => {
    const client = LanguageServerClient.start();
    try {
      const missing = join(__dirname, 'no-such-dataset-folder');
      const status = await client.initialize(missing);
      assert.equal(status.state, 'ready');
      assert.match(status.message, /not indexed: .*no-such-dataset-folder.*cannot open/);
      const stats = await client.connection.sendRequest(datasetStatisticsRequest);
      assert.ok(Array.isArray(stats));
    } finally {
      await client.stop();
    }
  });
});
