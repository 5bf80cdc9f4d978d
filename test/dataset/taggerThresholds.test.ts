import { test } from 'node:test';
import assert from 'node:assert/strict';
import { characterMcutFloor, mcutThreshold, selectTags } from '../../src/dataset/taggerThresholds';
import { parseSelectedTags } from '../../src/dataset/selectedTags';

test('MCut is the midpoint of the largest gap between sorted scores', () => {
  // sorted .9 .8 .3 .2: gaps .1 .5 .1 → (.8 + .3) / 2
  assert.equal(mcutThreshold([0.3, 0.9, 0.2, 0.8]), 0.55);
  assert.equal(mcutThreshold([0.5, 0.1]), 0.3);
  assert.equal(mcutThreshold([0.99, 0.98, 0.97, 0.01]), 0.49);
  assert.ok(Math.abs(mcutThreshold([0.1, 0.05, 0.0]) - 0.075) < 1e-12, 'equal gaps: the first (highest) one');
  assert.equal(characterMcutFloor, 0.15);
});

const table = parseSelectedTags(
  [
    'tag_id,name,category,count',
    '1,general,9,10',
    '2,sensitive,9,10',
    '3,long_hair,0,10',
    '4,smile,0,10',
    '5,":d",0,10',
    '6,>_<,0,10',
    '7,hatsune_miku_(vocaloid),4,10',
    '8,kagamine_rin,4,10',
  ].join('\n'),
);

test('thresholds are strict (score > threshold), general 0.35 and character 0.85 by default', () => {
  const r = selectTags([0.2, 0.7, 0.35, 0.36, 0.9, 0.5, 0.86, 0.85], table);
  assert.equal(r.rating?.name, 'sensitive');
  assert.deepEqual(r.general.map((t) => t.name), [':d', '>_<', 'smile']);
  assert.deepEqual(r.character.map((t) => t.name), ['hatsune_miku_(vocaloid)']);
  assert.deepEqual(r.captionTags, [':d', 'hatsune miku \\(vocaloid\\)', '>_<', 'smile']);
});

test('character MCut is floored at 0.15; general MCut follows the gap', () => {
  const r = selectTags([0.6, 0.1, 0.9, 0.85, 0.2, 0.1, 0.1, 0.05], table, { generalMcut: true, characterMcut: true });
  // general .9 .85 .2 .1 → largest gap .85→.2 → .525; characters .1 .05 → .075 → floored to .15
  assert.equal(r.generalThreshold, 0.525);
  assert.equal(r.characterThreshold, 0.15);
  assert.deepEqual(r.captionTags, ['long hair', 'smile']);
});

test('exclusions match however the tag is written; always-first tags lead; rating only on request', () => {
  const scores = [0.9, 0.1, 0.9, 0.8, 0.1, 0.1, 0.95, 0.1];
  const r = selectTags(scores, table, { exclude: ['Long Hair', 'hatsune miku \\(vocaloid\\)'], alwaysFirst: ['mychar', 'smile'], includeRating: true });
  assert.deepEqual(r.captionTags, ['mychar', 'smile', 'general']);
  const raw = selectTags(scores, table, { style: { replaceUnderscores: false, escapeParentheses: false } });
  assert.deepEqual(raw.captionTags, ['hatsune_miku_(vocaloid)', 'long_hair', 'smile']);
});
