import { it } from 'node:test';
import assert from 'node:assert/strict';
import { datasetStatisticsMarkdown } from '../../src/extension/datasetStatisticsMarkdown';

it('renders counts, problems by rule and top tags as markdown tables', () => {
  const markdown = datasetStatisticsMarkdown([
    {
      folder: '/data/alice',
      images: 12,
      captions: 11,
      imagesWithoutCaption: 1,
      problemsByRule: [{ rule: 'vague-tag', count: 4 }],
      topTags: [{ tag: '1girl', count: 11 }, { tag: 'a|b', count: 2 }],
    },
  ]);
  assert.match(markdown, /^## alice$/m);
  assert.match(markdown, /^\| 12 \| 11 \| 1 \|$/m);
  assert.match(markdown, /^\| `vague-tag` \| 4 \|$/m);
  assert.match(markdown, /^\| 1girl \| 11 \|$/m);
  // A pipe in a tag must not break the table.
  assert.match(markdown, /^\| a\\\|b \| 2 \|$/m);
});

it('says what to open when there is no dataset', () => {
  assert.match(datasetStatisticsMarkdown([]), /No dataset found/);
});
