import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSelectedTags } from '../../src/dataset/selectedTags';
import { captionTagName, isKaomoji, tagKey } from '../../src/dataset/taggerTagNames';

test('selected_tags.csv: categories 9 rating, 0 general, 4 character; quoted names; CRLF and BOM', () => {
  const table = parseSelectedTags('\uFEFFtag_id,name,category,count\r\n9999999,general,9,807489\r\n470575,1girl,0,4225150\r\n212816,"a,b ""c""",0,12\r\n1,hakurei_reimu,4,80000\r\n2,some_artist,1,5\r\n');
  assert.deepEqual(table.tags.map((t) => [t.name, t.category]), [
    ['general', 'rating'],
    ['1girl', 'general'],
    ['a,b "c"', 'general'],
    ['hakurei_reimu', 'character'],
    ['some_artist', 'general'],
  ]);
  assert.deepEqual(table.ratingIndices, [0]);
  assert.deepEqual(table.generalIndices, [1, 2, 4]);
  assert.deepEqual(table.characterIndices, [3]);
});

test('a malformed tag list names the file, the line and the way out', () => {
  assert.throws(() => parseSelectedTags('id,tag\n1,a\n', 'tags.csv'), /tags.csv:1: expected a header with 'name' and 'category'.*selected_tags.csv published with the tagger/);
  assert.throws(() => parseSelectedTags('tag_id,name,category,count\n1,a,0,1\n2,b,x,1\n', 'tags.csv'), /tags.csv:3: expected a tag name and a whole-number category, found '2,b,x,1'/);
  assert.throws(() => parseSelectedTags('tag_id,name,category,count\n', 'tags.csv'), /tags.csv: no tags/);
});

test('caption names: underscores to spaces except in kaomoji, parentheses escaped', () => {
  assert.equal(captionTagName('long_hair'), 'long hair');
  assert.equal(captionTagName('hatsune_miku_(vocaloid)'), 'hatsune miku \\(vocaloid\\)');
  for (const face of ['^_^', '>_<', 'o_o', 'x_x', '0_0', 'u_u', ';_;', '=_=']) assert.equal(captionTagName(face), face, face);
  assert.equal(captionTagName('(o)_(o)'), '\\(o\\)_\\(o\\)');
  assert.equal(isKaomoji('one_eye_closed'), false);
  assert.equal(isKaomoji('v_v_v_v'), false, 'no letters besides o/x/u faces');
  assert.equal(tagKey('Hatsune Miku \\(Vocaloid\\)'), tagKey('hatsune_miku_(vocaloid)'));
});
