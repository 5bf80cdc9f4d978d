// The caption language server over its real protocol: a separate server process, JSON-RPC over
// stdio, a generated dataset of real PNG files. Expected ranges and texts are worked out by hand
// from the fixture captions below.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CodeActionRequest,
  CodeActionResolveRequest,
  CompletionRequest,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidOpenTextDocumentNotification,
  FileChangeType,
  HoverRequest,
  type CodeAction,
  type Command,
  type CompletionItem,
  type Diagnostic,
  type Hover,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { datasetStatisticsRequest, ruleDocRequest } from '../../src/protocol/languageServerMessages';
import { LanguageServerClient, fileUri } from './languageServerClient';
import { writeDataset } from './generatedDataset';

const captionA = '1girl, leaf, long hair, long hair, absurdres';
//                0    5 7  11 13      22 24      33 35      44

/** Applies LSP edits to a text (independent of the server's code). */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const offset = (p: { line: number; character: number }) => lineStarts[p.line] + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const e of sorted) text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
  return text;
}

const messageText = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : d.message.value);
const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => String(d.code)).sort();
const isAction = (a: CodeAction | Command): a is CodeAction => 'kind' in a || 'edit' in a || 'diagnostics' in a || 'data' in a;

describe('caption language server over JSON-RPC', () => {
  let folder: string;
  let client: LanguageServerClient;
  let uriA: string;
  let version = 1;
  let textA = captionA;

  before(async () => {
    folder = await writeDataset([
      { stem: 'a', caption: captionA },
      { stem: 'b', caption: '1girl, maple leaf, long hair, smile' },
      { stem: 'c', caption: '1girl, long hair, smile' },
      { stem: 'd' },
    ]);
    uriA = fileUri(join(folder, 'a.txt'));
    client = LanguageServerClient.start();
    const status = await client.initialize(folder);
    assert.equal(status.state, 'ready', status.message);
  });

  after(async () => {
    await client?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('publishes the dataset diagnostics on initialize, an image without caption on the image', async () => {
    const a = await client.diagnostics(uriA);
    const duplicate = a.find((d) => d.code === 'duplicate-tag');
    assert.ok(duplicate, `no duplicate-tag in ${JSON.stringify(a)}`);
    assert.deepEqual(duplicate.range, { start: { line: 0, character: 24 }, end: { line: 0, character: 33 } });
    const meta = a.find((d) => d.code === 'meta-tag');
    assert.ok(meta, `no meta-tag in ${JSON.stringify(a)}`);
    assert.deepEqual(meta.range, { start: { line: 0, character: 35 }, end: { line: 0, character: 44 } });
    assert.equal(meta.source, 'embedding-studio');
    const d = await client.diagnostics(fileUri(join(folder, 'd.png')));
    assert.deepEqual(codes(d), ['missing-caption']);
    // c.txt is a clean caption: nothing is published for it.
    assert.equal(client.latest.get(fileUri(join(folder, 'c.txt')))?.diagnostics.length ?? 0, 0);
  });

  it('re-lints the editor text on didOpen/didChange, with the document version', async () => {
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: uriA, languageId: 'plaintext', version, text: textA },
    });
    assert.ok(codes(await client.diagnosticsAtVersion(uriA, version)).includes('duplicate-tag'));
    version++;
    const edited = '1girl, leaf, long hair, absurdres';
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: uriA, version },
      contentChanges: [{ range: { start: { line: 0, character: 22 }, end: { line: 0, character: 33 } }, text: '' }],
    });
    const after = await client.diagnosticsAtVersion(uriA, version);
    assert.ok(!codes(after).includes('duplicate-tag'), JSON.stringify(after));
    // Undo the edit: the duplicate comes back.
    version++;
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: uriA, version }, contentChanges: [{ text: textA }] });
    assert.ok(codes(await client.diagnosticsAtVersion(uriA, version)).includes('duplicate-tag'));
    assert.notEqual(edited, textA);
  });

  it('offers the fix, fix-all, more-information actions; the applied fix removes the problem', async () => {
    const diagnostics = await client.diagnosticsAtVersion(uriA, version);
    const duplicate = diagnostics.find((d) => d.code === 'duplicate-tag')!;
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: uriA },
      range: duplicate.range,
      context: { diagnostics: [duplicate] },
    }))!.filter(isAction);
    const preferred = actions.find((a) => a.isPreferred && a.edit);
    assert.ok(preferred, `no preferred fix in ${JSON.stringify(actions.map((a) => a.title))}`);
    const more = actions.find((a) => a.command?.command === 'embeddingStudio.showRuleDoc');
    assert.deepEqual(more?.command?.arguments, ['duplicate-tag']);

    const edits = preferred.edit!.changes![uriA];
    textA = applyEdits(textA, edits);
    assert.equal(textA, '1girl, leaf, long hair, absurdres');
    version++;
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: uriA, version }, contentChanges: [{ text: textA }] });
    const after = await client.diagnosticsAtVersion(uriA, version);
    assert.deepEqual(codes(after).filter((c) => c === 'duplicate-tag'), []);
  });

  it('resolves a dataset-wide fix into one edit spanning several files', async () => {
    // Two captions with a repeated tag: b (on disk) and a (in the editor).
    writeFileSync(join(folder, 'b.txt'), '1girl, maple leaf, long hair, smile, smile');
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: fileUri(join(folder, 'b.txt')), type: FileChangeType.Changed }] });
    assert.ok(codes(await client.diagnostics(fileUri(join(folder, 'b.txt')), (d) => codes(d).includes('duplicate-tag'))).includes('duplicate-tag'));
    textA = '1girl, leaf, leaf, long hair, absurdres';
    version++;
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: uriA, version }, contentChanges: [{ text: textA }] });
    const duplicate = (await client.diagnosticsAtVersion(uriA, version)).find((d) => d.code === 'duplicate-tag')!;
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: uriA },
      range: duplicate.range,
      context: { diagnostics: [duplicate] },
    }))!.filter(isAction);
    const datasetWide = actions.find((a) => !a.edit && a.data);
    assert.ok(datasetWide, `no deferred dataset fix in ${JSON.stringify(actions.map((a) => a.title))}`);
    const resolved = await client.connection.sendRequest(CodeActionResolveRequest.type, datasetWide);
    const changes = (resolved.edit as WorkspaceEdit).changes!;
    assert.deepEqual(Object.keys(changes).sort(), [fileUri(join(folder, 'a.txt')), fileUri(join(folder, 'b.txt'))].sort());
    assert.equal(applyEdits(textA, changes[uriA]), '1girl, leaf, long hair, absurdres');
    assert.equal(applyEdits('1girl, maple leaf, long hair, smile, smile', changes[fileUri(join(folder, 'b.txt'))]), '1girl, maple leaf, long hair, smile');
  });

  it('source.fixAll applies every preferred fix of the file', async () => {
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: uriA },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    }))!.filter(isAction);
    assert.equal(actions.length, 1);
    assert.equal(actions[0].kind, 'source.fixAll.embeddingStudio');
    const fixed = applyEdits(textA, actions[0].edit!.changes![uriA]);
    // The repeated `leaf` and the meta tag `absurdres` both go.
    assert.equal(fixed, '1girl, leaf, long hair');
  });

  it('completes tags after the last comma, most used first, with a leading space', async () => {
    const uriC = fileUri(join(folder, 'c.txt'));
    const text = '1girl, smile, lo';
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: uriC, languageId: 'plaintext', version: 1, text } });
    const result = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: uriC }, position: { line: 0, character: 16 } });
    const items = (Array.isArray(result) ? result : result!.items) as CompletionItem[];
    const dataset = items.filter((i) => i.sortText!.startsWith('0')).sort((x, y) => x.sortText!.localeCompare(y.sortText!));
    // Other captions now: a = `1girl, leaf, leaf, long hair, absurdres`, b = `1girl, maple leaf,
    // long hair, smile, smile`. `long hair` is in 2, then the tags used once, alphabetically;
    // `1girl` and `smile` are already in this caption, `lo` is only the text being typed.
    assert.deepEqual(dataset.slice(0, 4).map((i) => i.label), ['long hair', 'absurdres', 'leaf', 'maple leaf']);
    assert.ok(!dataset.some((i) => ['1girl', 'smile', 'lo'].includes(String(i.label))));
    assert.equal(dataset[0].detail, '2 of 3 captions');
    const edit = dataset[0].textEdit as TextEdit;
    assert.deepEqual(edit.range, { start: { line: 0, character: 13 }, end: { line: 0, character: 16 } });
    assert.equal(applyEdits(text, [edit]), '1girl, smile, long hair');
    assert.ok(items.some((i) => i.label === 'maple leaf'), 'knowledge-base or dataset tags missing');
  });

  it('hovers a tag with its usage, its category and the rules that fire on it', async () => {
    const hover = (await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: uriA }, position: { line: 0, character: 8 } })) as Hover;
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /\*\*leaf\*\*/);
    assert.match(value, /Used by 1 of 3 captions/);
    assert.match(value, /`a\.txt`/);
    assert.match(value, /Category: over-general/);
    assert.match(value, /vague-tag/);
    assert.deepEqual(hover.range, { start: { line: 0, character: 7 }, end: { line: 0, character: 11 } });
  });

  it('serves rule documentation and dataset statistics', async () => {
    const doc = await client.connection.sendRequest(ruleDocRequest, { id: 'duplicate-tag' });
    assert.equal(doc?.id, 'duplicate-tag');
    assert.ok((doc?.markdown.length ?? 0) > 40);
    assert.equal(await client.connection.sendRequest(ruleDocRequest, { id: 'no-such-rule' }), null);
    const [stats] = await client.connection.sendRequest(datasetStatisticsRequest);
    assert.equal(stats.images, 4);
    assert.equal(stats.captions, 3);
    assert.equal(stats.imagesWithoutCaption, 1);
    // c.txt is open as `1girl, smile, lo` (the completion test).
    assert.deepEqual(stats.topTags.slice(0, 3), [{ tag: '1girl', count: 3 }, { tag: 'long hair', count: 2 }, { tag: 'smile', count: 2 }]);
    assert.ok(stats.problemsByRule.some((p) => p.rule === 'missing-caption' && p.count === 1));
  });

  it('follows files created on disk (watched-file events)', async () => {
    writeFileSync(join(folder, 'd.txt'), '1girl, long hair, smile');
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: fileUri(join(folder, 'd.txt')), type: FileChangeType.Created }] });
    const d = await client.diagnostics(fileUri(join(folder, 'd.png')), (list) => !codes(list).includes('missing-caption'));
    assert.deepEqual(codes(d), []);
  });

  it('follows the workspace tag-advice file', async () => {
    mkdirSync(join(folder, '.embedding-studio'));
    const advice = join(folder, '.embedding-studio', 'tag-advice.json');
    writeFileSync(advice, JSON.stringify({ vagueTags: { smile: ['grin', 'smirk'] } }));
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: fileUri(advice), type: FileChangeType.Created }] });
    const b = await client.diagnostics(fileUri(join(folder, 'b.txt')), (list) => list.some((d) => d.code === 'vague-tag' && /smile/.test(messageText(d))));
    const vague = b.find((d) => d.code === 'vague-tag' && /smile/.test(messageText(d)))!;
    // b.txt on disk: `1girl, maple leaf, long hair, smile, smile`; the first `smile` is at 30–35.
    assert.deepEqual(vague.range, { start: { line: 0, character: 30 }, end: { line: 0, character: 35 } });
  });

  it('applies settings pushed by the client (a rule turned off, a severity changed)', async () => {
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { embeddingStudio: { lint: { rules: { 'meta-tag': 'off', 'duplicate-tag': 'error' } } } },
    });
    const a = await client.diagnostics(uriA, (list) => !codes(list).includes('meta-tag'));
    const duplicate = a.find((d) => d.code === 'duplicate-tag');
    assert.equal(duplicate?.severity, 1 /* Error */);
  });
});
