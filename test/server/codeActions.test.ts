// Code-action assembly on hand-made diagnostics: which actions exist, and how edits merge
// (duplicates dropped, overlaps skipped, one WorkspaceEdit per action).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { LintDiagnostic } from '../../src/lint/types';
import { codeActionsFor, mergeEdits } from '../../src/server/codeActions';

const file = '/data/a.txt';
const toUri = (p: string) => `file://${p}`;
const range = (start: number, end: number) => ({ start: { line: 0, character: start }, end: { line: 0, character: end } });

function removal(start: number, end: number, preferred = true): LintDiagnostic {
  return {
    file,
    range: range(start, end),
    severity: 'warning',
    code: 'meta-tag',
    message: `meta at ${start}`,
    fixes: [{ title: `Remove ${start}`, edits: [{ file, range: range(start - 2, end), newText: '' }], isPreferred: preferred, scope: 'problem' }],
  };
}

it('merges edits per file, dropping exact duplicates and skipping overlaps', () => {
  const edit = mergeEdits(
    [
      { file, range: range(5, 9), newText: '' },
      { file, range: range(0, 3), newText: 'x' },
      { file, range: range(5, 9), newText: '' },
      { file, range: range(7, 12), newText: 'y' },
      { file, range: range(9, 10), newText: 'z' },
      { file: '/data/b.txt', range: range(1, 2), newText: 'w' },
    ],
    toUri,
  );
  assert.deepEqual(edit.changes!['file:///data/a.txt'], [
    { range: range(0, 3), newText: 'x' },
    { range: range(5, 9), newText: '' },
    { range: range(9, 10), newText: 'z' },
  ]);
  assert.deepEqual(edit.changes!['file:///data/b.txt'], [{ range: range(1, 2), newText: 'w' }]);
});

it('offers each fix, fix-all of the rule in the file, and more information once per rule', () => {
  const diagnostics = [removal(7, 16), removal(20, 28)];
  const actions = codeActionsFor({ file, range: range(7, 16), contextDiagnostics: [] }, diagnostics, toUri);
  assert.deepEqual(actions.map((a) => a.title), ['Remove 7', 'Fix all meta-tag problems in this file', 'More information about meta-tag']);
  assert.deepEqual(actions[1].edit!.changes![toUri(file)], [
    { range: range(5, 16), newText: '' },
    { range: range(18, 28), newText: '' },
  ]);
  assert.deepEqual(actions[2].command, { title: 'More information about meta-tag', command: 'embeddingStudio.showRuleDoc', arguments: ['meta-tag'] });
});

it('leaves fix-all to the rule when it offers its own file-wide fix, and defers dataset fixes', () => {
  const diagnostic = removal(7, 16);
  diagnostic.fixes.push(
    { title: 'Remove every meta tag here', edits: [{ file, range: range(5, 16), newText: '' }], scope: 'file' },
    { title: 'Remove across the dataset', edits: [], scope: 'dataset', deferred: { rule: 'meta-tag', action: 'remove-all' } },
  );
  const actions = codeActionsFor({ file, range: range(7, 16), contextDiagnostics: [] }, [diagnostic, removal(20, 28)], toUri);
  assert.deepEqual(actions.map((a) => a.title), ['Remove 7', 'Remove every meta tag here', 'Remove across the dataset', 'More information about meta-tag']);
  const deferred = actions[2];
  assert.equal(deferred.edit, undefined);
  assert.deepEqual((deferred.data as { deferred: { deferred: unknown } }).deferred.deferred, { rule: 'meta-tag', action: 'remove-all' });
});

it('source.fixAll takes only preferred fixes that stay in the file', () => {
  const other = removal(20, 28);
  other.fixes[0].edits.push({ file: '/data/b.txt', range: range(0, 1), newText: '' });
  const actions = codeActionsFor({ file, range: range(0, 0), contextDiagnostics: [], only: ['source.fixAll'] }, [removal(7, 16), removal(30, 35, false), other], toUri);
  assert.equal(actions.length, 1);
  assert.equal(actions[0].kind, 'source.fixAll.embeddingStudio');
  assert.deepEqual(actions[0].edit!.changes, { [toUri(file)]: [{ range: range(5, 16), newText: '' }] });
});
