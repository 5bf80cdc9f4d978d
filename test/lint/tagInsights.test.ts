// Hover and completion data over a real indexed dataset.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatasetIndex } from '../../src/dataset/datasetIndex';
import { describeTag, completionCandidates } from '../../src/lint';
import { captionedImages, writeDataset, removeDataset } from './lintFixture';

const dirs: string[] = [];
after(() => dirs.forEach(removeDataset));

test('describeTag: how many captions use a tag, which, its spelling and category', async () => {
  const dir = await writeDataset(captionedImages(['1girl, long_hair, leaf', '1girl, long_hair', 'long hair, smile']));
  dirs.push(dir);
  const index = await DatasetIndex.build(dir);
  const longHair = describeTag(index, 'Long Hair');
  assert.equal(longHair.key, 'long hair');
  assert.equal(longHair.spelling, 'long_hair');
  assert.deepEqual(longHair.files, [join(dir, 'img0.txt'), join(dir, 'img1.txt'), join(dir, 'img2.txt')]);
  assert.equal(longHair.category, 'hair length');
  const leaf = describeTag(index, 'leaf');
  assert.equal(leaf.category, 'over-general (plants)');
  assert.ok(leaf.alternatives!.includes('maple leaf'));
  assert.deepEqual(describeTag(index, 'nothing').files, []);
});

test('completionCandidates: dataset tags by frequency, then knowledge-base tags, filtered by prefix', async () => {
  const dir = await writeDataset(captionedImages(['1girl, smile, maple leaf', '1girl, smile', '1girl']));
  dirs.push(dir);
  const index = await DatasetIndex.build(dir);
  const all = completionCandidates(index);
  assert.deepEqual(all.slice(0, 3).map((c) => [c.tag, c.count, c.source]), [['1girl', 3, 'dataset'], ['smile', 2, 'dataset'], ['maple leaf', 1, 'dataset']]);
  assert.ok(all.some((c) => c.tag === 'ginkgo leaf' && c.source === 'knowledge base'));
  assert.equal(all.filter((c) => c.tag === 'maple leaf').length, 1);
  const leaf = completionCandidates(index, 'lea');
  assert.equal(leaf[0].tag, 'maple leaf');
  assert.ok(leaf.every((c) => / ?lea/.test(c.tag)));
});
