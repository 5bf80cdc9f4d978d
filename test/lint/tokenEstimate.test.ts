// The CLIP token estimate, against counts worked out by hand from its documented heuristic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateClipTokens } from '../../src/lint/tokenEstimate';

test('letters: ceil(n/6) per run; digits: one per run; punctuation: one each; escapes free', () => {
  assert.equal(estimateClipTokens(''), 0);
  assert.equal(estimateClipTokens('smile'), 1);
  assert.equal(estimateClipTokens('thighhighs'), 2); // 10 letters
  assert.equal(estimateClipTokens('1girl'), 2); // `1` + `girl`
  assert.equal(estimateClipTokens('long hair, blue eyes'), 5); // 4 words + comma
  assert.equal(estimateClipTokens('saber \\(fate\\)'), 4); // saber ( fate )
  assert.equal(estimateClipTokens('6+girls'), 3);
  assert.equal(estimateClipTokens('café 🍁'), 2); // é is a letter; the emoji a mark
});

test('A1111 emphasis syntax counts nothing; escaped brackets count as brackets', () => {
  assert.equal(estimateClipTokens('(long hair:1.3)'), 2); // long hair
  assert.equal(estimateClipTokens('(long hair: 0.8 ), smile'), 4); // long hair , smile
  assert.equal(estimateClipTokens('[blue eyes], ((smile))'), 4); // blue eyes , smile
  // escaped, the brackets and the weight are text: ( smile : 1 . 2 )
  assert.equal(estimateClipTokens('\\(smile:1.2\\)'), 7);
});
