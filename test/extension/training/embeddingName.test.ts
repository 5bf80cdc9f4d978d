import assert from 'node:assert/strict';
import { it } from 'node:test';
import { defaultEmbeddingName, embeddingNameProblem } from '../../../src/extension/training/embeddingName';

it('accepts names in any script, refuses what a file name or a prompt word cannot hold', () => {
  for (const name of ['mychar', 'miku_初音', 'v1.5-style', 'Ärger', 'two words']) assert.equal(embeddingNameProblem(name), undefined, name);
  for (const name of ['', ' lead', 'trail ', 'a/b', 'a\\b', 'a:b', 'what?', '<x>', 'a|b', 'a*b', 'say"']) assert.ok(embeddingNameProblem(name), JSON.stringify(name));
});

it('proposes the dataset folder name, keeping letters of any script', () => {
  assert.equal(defaultEmbeddingName('/data/workspace'), 'workspace');
  assert.equal(defaultEmbeddingName('/data/初音ミク'), '初音ミク');
  assert.equal(defaultEmbeddingName('/data/my char (v2)'), 'my_char_v2');
  assert.equal(defaultEmbeddingName('/data/.hidden'), 'hidden');
  assert.equal(defaultEmbeddingName('/data/()'), 'embedding');
  // every proposal is a name the form accepts
  for (const dir of ['/a/workspace', '/a/初音ミク', '/a/my char (v2)', '/a/()', '/a/ x ']) assert.equal(embeddingNameProblem(defaultEmbeddingName(dir)), undefined, dir);
});
