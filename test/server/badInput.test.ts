// Bad input reaches the server as diagnostics, never as a crash or a hang: binary and non-UTF-8
// caption files, a 5 MB caption, a workspace folder that does not exist, and symbolic links that
// loop or lead out of the dataset (never read, never edited through).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeActionRequest, CodeActionResolveRequest, DidOpenTextDocumentNotification, type CodeAction, type WorkspaceEdit } from 'vscode-languageserver-protocol/node';
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

/** Every wait bounded: a server that never answers fails the test instead of hanging it. */
function within<T>(promise: Promise<T>, ms = 30_000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

describe('caption server on symbolic links that leave the dataset', () => {
  let folder: string;
  let outside: string;
  let client: LanguageServerClient;
  const outsideText = '1girl, smile, smile';

  before(async () => {
    folder = await writeDataset([{ stem: 'a', caption: '1girl, smile, smile' }, { stem: 'b' }, { stem: 'c', caption: 'solo, smile, smile' }]);
    outside = mkdtempSync(join(tmpdir(), 'es-outside-'));
    writeFileSync(join(outside, 'else.txt'), outsideText);
    symlinkSync(join(outside, 'else.txt'), join(folder, 'b.txt'));
    symlinkSync(join(folder, 'loop-2.png'), join(folder, 'loop-1.png'));
    symlinkSync(join(folder, 'loop-1.png'), join(folder, 'loop-2.png'));
    client = LanguageServerClient.start();
    const status = await within(client.initialize(folder));
    assert.equal(status.state, 'ready', status.message);
  });

  after(async () => {
    await client?.stop();
    rmSync(folder, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('says so on the link, lints nothing through it, and no dataset-wide fix edits it', async () => {
    const linkUri = fileUri(join(folder, 'b.txt'));
    const onLink = await within(client.diagnostics(linkUri, (d) => d.length > 0));
    assert.deepEqual(onLink.map((d) => d.code), ['unreadable-file']);
    assert.match(String(onLink[0].message), /^b\.txt is a symbolic link to .*else\.txt, outside the dataset folder: it is neither read nor edited through the link/);
    const loop = await within(client.diagnostics(fileUri(join(folder, 'loop-1.png')), (d) => d.length > 0));
    assert.deepEqual(loop.map((d) => d.code), ['unreadable-file']);
    assert.match(String(loop[0].message), /loop-1\.png is a symbolic link that loops back on itself/);

    const uriA = fileUri(join(folder, 'a.txt'));
    const duplicate = (await within(client.diagnostics(uriA, (d) => d.some((x) => x.code === 'duplicate-tag')))).find((d) => d.code === 'duplicate-tag')!;
    const actions = (await within(client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri: uriA }, range: duplicate.range, context: { diagnostics: [duplicate] } })))!.filter(
      (a): a is CodeAction => 'title' in a && !('command' in a && typeof a.command === 'string'),
    );
    const datasetWide = actions.find((a) => !a.edit && a.data);
    assert.ok(datasetWide, `no dataset-wide fix in ${JSON.stringify(actions.map((a) => a.title))}`);
    const resolved = await within(client.connection.sendRequest(CodeActionResolveRequest.type, datasetWide));
    assert.deepEqual(Object.keys((resolved.edit as WorkspaceEdit).changes!).sort(), [uriA, fileUri(join(folder, 'c.txt'))].sort());
  });

  it('ignores the text of an editor opened on the link (it would save through it)', async () => {
    const linkUri = fileUri(join(folder, 'b.txt'));
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: linkUri, languageId: 'plaintext', version: 7, text: 'absurdres, leaf, leaf' } });
    const [stats] = await within(client.connection.sendRequest(datasetStatisticsRequest));
    assert.ok(!stats.topTags.some((t: { tag: string }) => t.tag === 'absurdres'), JSON.stringify(stats.topTags));
    const onLink = await within(client.diagnostics(linkUri));
    assert.deepEqual(onLink.map((d) => d.code), ['unreadable-file']);
    assert.equal(readFileSync(join(outside, 'else.txt'), 'utf8'), outsideText);
  });
});
