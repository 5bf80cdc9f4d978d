// The knowledge base we wrote: enough over-general tags, well-formed alternatives, and the
// categories hover shows for tags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tagKey } from '../../../src/dataset/caption';
import { builtInVagueTags, builtInVagueTagIndex, tagCategory, isClothingTag, traitCategoryOf, peopleCountOf, isMultiplePeopleTag, backgroundKindOf, metaTags, knownTags } from '../../../src/lint/knowledge';

test('at least 80 over-general tags across the required groups, with distinct specific alternatives', () => {
  assert.ok(builtInVagueTags.length >= 80, `${builtInVagueTags.length} entries`);
  const groups = new Set(builtInVagueTags.map((e) => e.group));
  for (const g of ['plants', 'animals', 'headwear', 'hair', 'bowsAndRibbons', 'weapons', 'food', 'buildings', 'vehicles', 'clothing']) assert.ok(groups.has(g), g);
  for (const entry of builtInVagueTags) {
    assert.equal(entry.tag, tagKey(entry.tag), `${entry.tag} is written in key form`);
    assert.ok(entry.alternatives.length >= 3, `${entry.tag} has alternatives`);
    assert.ok(!entry.alternatives.includes(entry.tag), `${entry.tag} does not suggest itself`);
    assert.equal(new Set(entry.alternatives).size, entry.alternatives.length, `${entry.tag} alternatives are distinct`);
  }
  // The tutorial's example.
  const leaf = builtInVagueTagIndex.get('leaf')!;
  for (const alternative of ['maple leaf', 'ginkgo leaf', 'mint leaf', 'oak leaf']) assert.ok(leaf.alternatives.includes(alternative), alternative);
  assert.equal(builtInVagueTagIndex.get('leaves'), leaf);
});

test('categories', () => {
  assert.equal(tagCategory('absurdres'), 'meta (resolution)');
  assert.equal(tagCategory('general'), 'meta (rating)');
  assert.equal(metaTags.has('watermark'), false);
  assert.equal(metaTags.has('signature'), false);
  assert.equal(tagCategory('2girls'), 'people count (several people)');
  assert.equal(tagCategory('1girl'), 'people count');
  assert.deepEqual(['2girls', '6+girls', 'multiple boys', 'crowd', '1girl', 'solo'].map(isMultiplePeopleTag), [true, true, true, true, false, false]);
  assert.equal(peopleCountOf('3others'), 3);
  assert.equal(traitCategoryOf('blonde hair'), 'hair colour');
  assert.equal(traitCategoryOf('light blue eyes'), 'eye colour');
  assert.equal(traitCategoryOf('very long hair'), 'hair length');
  assert.equal(traitCategoryOf('twintails'), 'hair style');
  assert.equal(traitCategoryOf('hair ornament'), undefined);
  assert.deepEqual(['white shirt', 'pleated skirt', 'black thighhighs', 'school uniform', 'smile', 'leaf'].map(isClothingTag), [true, true, true, true, false, false]);
  assert.equal(backgroundKindOf('white background'), 'simple');
  assert.equal(backgroundKindOf('detailed background'), 'complex');
  assert.equal(backgroundKindOf('scenery'), 'complex');
  assert.equal(tagCategory('leaf'), 'over-general (plants)');
  assert.equal(tagCategory('qwerty'), undefined);
  assert.ok(knownTags().some((k) => k.tag === 'maple leaf'));
});
