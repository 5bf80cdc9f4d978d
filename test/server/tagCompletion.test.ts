// Where a completed tag goes and how it is spaced, on hand-written caption texts.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit } from 'vscode-languageserver-protocol';
import { tagCompletions } from '../../src/server/tagCompletion';
import { readServerSettings } from '../../src/server/serverSettings';

const keyOf = (tag: string) => tag.trim().toLowerCase().replace(/_/g, ' ');
const usage = new Map([
  ['smile', { tag: 'smile', key: 'smile', count: 5 }],
  ['long hair', { tag: 'long hair', key: 'long hair', count: 9 }],
]);

function complete(text: string, offset = text.length) {
  const document = TextDocument.create('file:///d/a.txt', 'plaintext', 1, text);
  const present = new Set(text.split(',').map(keyOf).filter(Boolean));
  return tagCompletions(document, offset, { usage, known: [{ tag: 'maple leaf', key: 'maple leaf', category: 'plants' }], present, datasetSize: 10 }, keyOf);
}

it('at the start of a caption inserts the tag without a leading space', () => {
  const items = complete('lo');
  const longHair = items.find((i) => i.label === 'long hair')!;
  assert.deepEqual(longHair.textEdit, { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 2 } }, newText: 'long hair' });
});

it('after a comma replaces the typed word and its spaces with one space and the tag', () => {
  const items = complete('smile,   lo');
  const edit = items.find((i) => i.label === 'long hair')!.textEdit as TextEdit;
  assert.deepEqual(edit.range, { start: { line: 0, character: 6 }, end: { line: 0, character: 11 } });
  assert.equal(edit.newText, ' long hair');
  assert.equal(items.find((i) => i.label === 'long hair')!.filterText, ' long hair');
  // `smile` is already in the caption: not offered; its count excludes this caption.
  assert.ok(!items.some((i) => i.label === 'smile'));
});

it('ranks by how many other captions use the tag, then the knowledge base', () => {
  const items = complete('1girl, ').sort((a, b) => a.sortText!.localeCompare(b.sortText!));
  assert.deepEqual(items.map((i) => i.label), ['long hair', 'smile', 'maple leaf']);
  assert.equal(items[0].detail, '9 of 10 captions');
  assert.equal(items[2].detail, 'knowledge base: plants');
});

it('reads settings from untrusted JSON, dropping what is malformed', () => {
  assert.deepEqual(
    readServerSettings({ lint: { rules: { 'vague-tag': 'off', 'meta-tag': 'loud', x: 3 }, extraVagueTags: { hat: ['top hat', 4, ''], bad: 'nope' } } }),
    { lint: { rules: { 'vague-tag': 'off' }, extraVagueTags: { hat: ['top hat'] } } },
  );
  assert.deepEqual(readServerSettings(undefined), { lint: { rules: {}, extraVagueTags: {} } });
});
