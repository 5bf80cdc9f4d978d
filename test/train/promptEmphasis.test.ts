import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEmphasis, parsePromptAttention } from '../../src/train/promptEmphasis';

const close = (pieces: { text: string; weight: number }[]) => pieces.map((p) => [p.text, Math.round(p.weight * 1e6) / 1e6]);

test("A1111's documented examples", () => {
  assert.deepEqual(close(parsePromptAttention('normal text')), [['normal text', 1]]);
  assert.deepEqual(close(parsePromptAttention('an (important) word')), [['an ', 1], ['important', 1.1], [' word', 1]]);
  assert.deepEqual(close(parsePromptAttention('(unbalanced')), [['unbalanced', 1.1]]);
  assert.deepEqual(close(parsePromptAttention('\\(literal\\]')), [['(literal]', 1]]);
  assert.deepEqual(close(parsePromptAttention('(unnecessary)(parens)')), [['unnecessaryparens', 1.1]]);
  // A1111's docstring: the first '(' never closes, so everything after it is also ×1.1
  assert.deepEqual(close(parsePromptAttention('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).')), [
    ['a ', 1],
    ['house', 1.573],
    [' ', 1.1],
    ['on', 1],
    [' a ', 1.1],
    ['hill', 0.55],
    [', sun, ', 1.1],
    ['sky', 1.4641],
    ['.', 1.1],
  ]);
});

test('nested square brackets divide, a colon without brackets stays text', () => {
  assert.deepEqual(close(parsePromptAttention('[[soft]]')), [['soft', 0.826446]]);
  assert.deepEqual(close(parsePromptAttention('ratio 16:9')), [['ratio 16:9', 1]]);
  assert.deepEqual(close(parsePromptAttention('')), [['', 1]]);
});

test('emphasis scales per token and restores the original mean', () => {
  // 2 tokens × width 2: hidden [[1, 3], [2, 2]] (mean 2); weights [1, 2] → [[1,3],[4,4]] (mean 3) → × 2/3
  const out = applyEmphasis(new Float32Array([1, 3, 2, 2]), new Float32Array([1, 2]), 2);
  assert.deepEqual([...out].map((v) => Math.round(v * 1e6) / 1e6), [0.666667, 2, 2.666667, 2.666667]);
});
