import { test } from 'node:test';
import assert from 'node:assert/strict';
import { captionFromFileName } from '../../src/dataset/fileNameCaption';

// Expected captions from Python, as A1111's dataset.py computes them with its default settings:
//   re.sub(re.compile(r'^[-\d]+\s*'), '', stem)   (python3 3.11, output pasted here)
const python: [string, string][] = [["00012-1girl_solo", "girl_solo"], ["123 cat", "cat"], ["a_b_c", "a_b_c"], ["00001-2024-05-01 beach", "beach"], ["-- dash", "dash"], ["12345", ""], ["٣٤ arabic digits", "arabic digits"], ["cat 123", "cat 123"], ["007_bond", "_bond"], ["0-0 x", "x"], [" 12 lead space", " 12 lead space"], ["12\u3000ideographic space", "ideographic space"], ["1girl", "girl"]];

test("captions from file names as A1111 makes them: leading digits and dashes off, underscores kept", () => {
  for (const [stem, caption] of python) assert.equal(captionFromFileName(stem).caption, caption, stem);
});

test('the quirk is named: the leading number took the digits of the first tag', () => {
  assert.deepEqual(captionFromFileName('00012-1girl_solo').lostDigits, { word: '1girl', digits: '1' });
  assert.deepEqual(captionFromFileName('1girl').lostDigits, { word: '1girl', digits: '1' });
  assert.equal(captionFromFileName('123 cat').lostDigits, undefined);
  assert.equal(captionFromFileName('00012-girl').lostDigits, undefined);
  assert.equal(captionFromFileName('a_b_c').lostDigits, undefined);
});
