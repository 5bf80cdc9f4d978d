// The caption token counter against the real CLIP tokenizer (resources/clip): hand-derived
// counts for A1111's emphasis handling, and the per-stretch shortcut checked against counting
// the whole text at once, on odd captions and on thousands of generated ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ClipTokenizer } from '../../src/sd/clipTokenizer';
import { CaptionTokenCounter } from '../../src/train/captionTokenCount';
import { parsePromptAttention } from '../../src/train/promptEmphasis';

const bpePath = join(__dirname, '../../resources/clip/bpe_simple_vocab_16e6.txt.gz');
const tokenizer = ClipTokenizer.fromBpeFile(bpePath);
const mergeLines = gunzipSync(readFileSync(bpePath)).toString('utf8').split('\n');

/** Id of a token made by a merge of the file: line L (1-based, after the header) is id 512 + L - 2. */
function mergedTokenId(token: string): number {
  const line = mergeLines.findIndex((l, i) => i > 0 && l.replace(' ', '') === token) + 1;
  assert.ok(line > 1, `token "${token}" is made by a merge`);
  return 512 + line - 2;
}
/** A printable ASCII character at the end of a word: id b - 33 + 256. */
const endOfWord = (ch: string) => ch.charCodeAt(0) - 33 + 256;

test('plain captions: one token per common word, per digit and per comma (ids from the merges file)', () => {
  assert.deepEqual(tokenizer.tokenize('1girl, solo, long hair'), [
    endOfWord('1'), mergedTokenId('girl</w>'), endOfWord(','), mergedTokenId('solo</w>'), endOfWord(','), mergedTokenId('long</w>'), mergedTokenId('hair</w>'),
  ]);
  const counter = new CaptionTokenCounter(tokenizer);
  assert.equal(counter.count('1girl, solo, long hair'), 7);
  assert.equal(counter.count('1girl,solo,long hair'), 7); // spaces are not tokens
  assert.equal(counter.count(''), 0);
  assert.equal(counter.count('  ,  '), 1);
});

test('emphasis syntax is not text; each emphasis piece is tokenized on its own (A1111)', () => {
  const counter = new CaptionTokenCounter(tokenizer);
  // "(long hair:1.2), smile" → pieces "long hair" (×1.2) and ", smile": long hair | , smile
  assert.equal(counter.count('(long hair:1.2), smile'), 4);
  // the raw text would be ( long hair : 1 . 2 ), smile = 9 tokens
  assert.equal(tokenizer.tokenCount('(long hair:1.2), smile'), 9);
  // "[blue eyes]" ÷1.1 and "((smile))" ×1.21 weigh, they are not tokens: blue eyes | , | smile
  assert.equal(counter.count('[blue eyes], ((smile))'), 4);
  // "\(" is the bracket itself: "saber (fate), smile" → saber ( fate ), smile, where ")," is one merge
  assert.deepEqual(tokenizer.tokenize('saber (fate), smile'), [mergedTokenId('saber</w>'), endOfWord('('), mergedTokenId('fate</w>'), mergedTokenId('),</w>'), mergedTokenId('smile</w>')]);
  assert.equal(counter.count('saber \\(fate\\), smile'), 5);
  // pieces are tokenized apart: "blue(hair)" is "blue" | "hair", not the one word "bluehair"
  assert.equal(counter.count('blue(hair)'), 2);
  assert.equal(counter.count('bluehair'), tokenizer.tokenCount('bluehair'));
});

// Captions where a comma touches punctuation, marks, odd spaces, entities, numbers, scripts.
const oddCaptions = [
  'smile, :), :d, ^_^, >_<, o_o',
  'a ,b , c,d',
  ',,, a,,b, ,c,',
  '!!,??, !!, ??',
  'café, 東方, 初音ミク, naïve, e\u0301, \u0301,a',
  'ΣΑΣ, ΣΑΣ,ΣΑΣ',
  'İ, İ,İ,a',
  '🍁, 🍁,a,🍁',
  'Ａ，ｂ, ｃ,ｄ',
  '1girl,2girls, 3.5,4, 6+girls, 10,000',
  "it's, 's, 't,'re",
  '&amp;, &amp, &#44;, &lt;a&gt;,b',
  'a\u000b,\u000b!, b\u0001,c',
  'a\u00a0,\u00a0b, c\u3000,d',
  'long hair,\nblue eyes,\r\nsmile\n, tail',
  'line one\nline two, three',
  '<|endoftext|>, <|startoftext|>,x',
  'ǅ, ǆ, ß, ﬁsh, ﬂ,x',
  '\u200b, a\u200b,b',
  'a\t,\tb',
];

test('the shortcut equals counting the whole text, on odd captions', () => {
  const counter = new CaptionTokenCounter(tokenizer);
  for (const caption of oddCaptions) {
    assert.equal(counter.count(caption), tokenizer.tokenCount(caption), JSON.stringify(caption));
    // and again, from the remembered stretches
    assert.equal(counter.count(caption), tokenizer.tokenCount(caption), `${JSON.stringify(caption)} (cached)`);
  }
});

/** A1111's count without the shortcut: every emphasis piece through the tokenizer whole. */
const piecewiseCount = (caption: string) => parsePromptAttention(caption).reduce((n, piece) => n + tokenizer.tokenCount(piece.text), 0);

test('the shortcut equals counting each emphasis piece whole, on 3000 generated captions', () => {
  const fragments = [
    'long hair', 'blue eyes', '1girl', 'smile', 'thighhighs', 'serafuku', 'saber \\(fate\\)', '(smile:1.2)', '[x]', '((a', 'b))', '\\', ':', '(c:0.5)', ':)', ':d', '^_^', '!!', '...', '?', '-', "'s", 'café', '東方',
    'ΣΑΣ', 'İ', '🍁', 'Ａｂ', '3.5', '10', 'x2', '&amp;', '&#44;', '\u00a0', '\u0301', '\u000b', 'e\u0301', 'ﬁ', '<|endoftext|>', '\n', ' ', '', 'a_b', 'v',
  ];
  const separators = [', ', ',', ' ,', ' , ', ',\n', '\n', ',,', ', '];
  let state = 12345;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state % n;
  };
  const counter = new CaptionTokenCounter(tokenizer);
  for (let c = 0; c < 3000; c++) {
    let caption = '';
    const tags = 1 + next(12);
    for (let t = 0; t < tags; t++) {
      if (t > 0) caption += separators[next(separators.length)];
      const parts = 1 + next(2);
      for (let p = 0; p < parts; p++) caption += (p > 0 && next(2) ? ' ' : '') + fragments[next(fragments.length)];
    }
    assert.equal(counter.count(caption), /[()[\]\\]/.test(caption) ? piecewiseCount(caption) : tokenizer.tokenCount(caption), JSON.stringify(caption));
  }
});
