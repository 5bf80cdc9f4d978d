import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captionFileChanges } from '../../src/extension/captionWorkspaceChanges';

test('a caption plan becomes create and replace changes with Refactor Preview labels', () => {
  const changes = captionFileChanges([
    { image: '/d/a.png', file: '/d/a.txt', oldText: null, newText: '1girl, smile', addedTags: ['1girl', 'smile'] },
    { image: '/d/b.png', file: '/d/b.txt', oldText: 'me\n', newText: 'me, hat\n', addedTags: ['hat'] },
  ]);
  assert.deepEqual(changes, [
    { path: '/d/a.txt', kind: 'create', oldText: null, newText: '1girl, smile', label: 'New caption for a.png (2 tags)' },
    { path: '/d/b.txt', kind: 'replace', oldText: 'me\n', newText: 'me, hat\n', label: 'Add 1 tag to b.txt' },
  ]);
});

test('an empty plan gives no changes', () => {
  assert.deepEqual(captionFileChanges([]), []);
});
