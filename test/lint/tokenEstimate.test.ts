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

// The estimate walks UTF-16 units for speed; the rule it implements is stated per code point.
test('the estimate equals its per-code-point definition on random text (surrogate pairs, lone surrogates, emphasis)', () => {
  const reference = (text: string): number => {
    let tokens = 0;
    let letters = 0;
    let inDigits = false;
    const words = /[()[\]]/.test(text) ? text.replace(/\\[\\()[\]]|:\s*[+-]?[.\d]+\s*\)|[()[\]]/g, (m) => (m[0] === '\\' ? m : ' ')) : text;
    for (const ch of words) {
      const kind = /[a-zA-Z]/.test(ch) ? 'letter' : /[0-9]/.test(ch) ? 'digit' : ch === '\\' ? 'escape' : /\s/.test(ch) ? 'space' : ch.charCodeAt(0) < 128 ? 'mark' : /\p{L}/u.test(ch) ? 'letter' : /\p{N}/u.test(ch) ? 'digit' : 'mark';
      if (kind !== 'letter' && letters > 0) {
        tokens += Math.ceil(letters / 6);
        letters = 0;
      }
      if (kind !== 'digit') inDigits = false;
      if (kind === 'letter') letters++;
      else if (kind === 'digit') {
        if (!inDigits) tokens++;
        inDigits = true;
      } else if (kind === 'mark') tokens++;
    }
    return tokens + (letters > 0 ? Math.ceil(letters / 6) : 0);
  };
  const alphabet = ['a', 'Z', '1', ' ', ',', '(', ')', '\\', ':', '1.2', 'é', '初', '🍁', '\ud800', '\udc00', '𝟙', '\u3000', '_', '²', 'ab'];
  let state = 3;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let n = 0; n < 5000; n++) {
    let text = '';
    const length = 1 + Math.floor(next() * 12);
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
    assert.equal(estimateClipTokens(text), reference(text), JSON.stringify(text));
  }
});
