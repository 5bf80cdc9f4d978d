import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ClipTokenizer, clipBosId, clipEosId } from '../../src/sd/clipTokenizer';
import { fixText } from '../../src/sd/textFix';

const bpePath = join(__dirname, '../../resources/clip/bpe_simple_vocab_16e6.txt.gz');
const tokenizer = ClipTokenizer.fromBpeFile(bpePath);
const mergeLines = gunzipSync(readFileSync(bpePath)).toString('utf8').split('\n');

/*
 * How expected ids are derived (openai/CLIP's vocab order):
 *  - ids 0..255: the 256 byte symbols, printable bytes first in byte order: '!' (0x21) is 0,
 *    so a printable ASCII byte b has id b - 33; bytes 0xA1..0xAC follow (94..105), then
 *    0xAE..0xFF (106..187), then the other 68 bytes (0x00..0x20, 0x7F..0xA0, 0xAD) as 188..255.
 *  - ids 256..511: the same symbols with `</w>` (end of word): id + 256.
 *  - ids 512..: one per merge, in file order: the merge on line L (1-based, line 1 is the
 *    header) has id 512 + L - 2.
 */
const endOfWord = (byte: number): number => byte - 33 + 256; // printable ASCII only
function mergeId(pair: string): number {
  const line = mergeLines.indexOf(pair) + 1;
  assert.ok(line > 1, `merge "${pair}" is in the file`);
  return 512 + line - 2;
}
/** The id of a merged token: the merge (first in file order) whose two halves join to it. */
function tokenIdFromMerges(token: string): number {
  const line = mergeLines.findIndex((l, i) => i > 0 && l.replace(' ', '') === token) + 1;
  assert.ok(line > 1, `token "${token}" is made by a merge`);
  return 512 + line - 2;
}

test('vocabulary size and special ids', () => {
  assert.equal(tokenizer.vocabSize, 49408);
  assert.equal(tokenizer.tokenId('<|startoftext|>'), 49406);
  assert.equal(tokenizer.tokenId('<|endoftext|>'), 49407);
});

test('single characters and merges, derived from the file', () => {
  assert.deepEqual(tokenizer.tokenize('a'), [endOfWord(0x61)]); // 97 - 33 + 256 = 320
  assert.equal(endOfWord(0x61), 320);
  // "photo": the last merge applied is "pho to</w>" (line 615) → 512 + 613 = 1125
  assert.equal(mergeId('pho to</w>'), 1125);
  assert.deepEqual(tokenizer.tokenize('photo'), [1125]);
  // the well-known SD prompt ids
  assert.deepEqual(tokenizer.tokenize('a photo of a cat'), [320, 1125, tokenIdFromMerges('of</w>'), 320, tokenIdFromMerges('cat</w>')]);
  assert.deepEqual(tokenizer.tokenize('a photo of a cat'), [320, 1125, 539, 320, 2368]);
});

test('punctuation and emphasis brackets are split as the CLIP regex does', () => {
  // "(blue hair:1.2), 1girl": "(" "blue" "hair" ":" "1" "." "2" ")," "1" "girl" — digits are
  // single tokens; a run of punctuation is one pre-token, and ")," is itself a merge
  assert.deepEqual(tokenizer.tokenize('(blue hair:1.2), 1girl'), [
    endOfWord(0x28), tokenIdFromMerges('blue</w>'), tokenIdFromMerges('hair</w>'), endOfWord(0x3a), endOfWord(0x31), endOfWord(0x2e), endOfWord(0x32),
    tokenIdFromMerges('),</w>'), endOfWord(0x31), tokenIdFromMerges('girl</w>'),
  ]);
  assert.deepEqual(tokenizer.tokenize('Hello,   WORLD!!'), [tokenIdFromMerges('hello</w>'), endOfWord(0x2c), tokenIdFromMerges('world</w>'), tokenIdFromMerges('!!</w>')]);
  // contractions are their own pre-tokens
  assert.deepEqual(tokenizer.tokenize("it's"), [tokenIdFromMerges('it</w>'), tokenIdFromMerges("'s</w>")]);
  // the escaped parentheses of A1111 prompts: "\" is byte 0x5C → id 92 - 33 = 59, not end of word
  const escaped = tokenizer.tokenize('\\(x\\)').map((id) => tokenizer.tokenText(id));
  assert.deepEqual(escaped, ['\\', '(</w>', 'x</w>', '\\', ')</w>']);
});

test('non-ASCII: accents and Japanese go through UTF-8 bytes', () => {
  // "café": é is UTF-8 C3 A9 → symbols "Ã" "©"; the whole word is one merge token
  assert.deepEqual(tokenizer.tokenize('café'), [tokenIdFromMerges('cafÃ©</w>')]);
  // "ク" is E3 82 AF: "ã" (0xE3, printable) + "Ĥ" (0x82, shifted) merge; 0xAF "¯" ends the word: 106 + 1 + 256 = 363
  const ids = tokenizer.tokenize('ク');
  assert.deepEqual(ids, [tokenIdFromMerges('ãĤ'), 363]);
  // 0x9D is the 64th non-printable byte (0..32, 127..156 precede it): id 188 + 63 = 251
  assert.equal(tokenizer.tokenize('初音ミク')[1], 251);
  // alone, "初" ends with that byte, so it is the end-of-word form: 251 + 256
  assert.equal(tokenizer.tokenize('初').at(-1), 507);
  assert.equal(tokenizer.decode(tokenizer.tokenize('初音ミク')), '初音ミク');
  // full-width ASCII is folded like ftfy does, so "Ａ" tokenizes like "a"
  assert.deepEqual(tokenizer.tokenize('Ａ'), [320]);
});

test('SD1 encoding: BOS, EOS, padding to 77 and truncation to 75 content tokens', () => {
  const short = tokenizer.encode('a photo');
  assert.equal(short.ids.length, 77);
  assert.deepEqual(short.ids.slice(0, 4), [clipBosId, 320, 1125, clipEosId]);
  assert.ok(short.ids.slice(3).every((id) => id === clipEosId));
  assert.equal(short.truncated, false);
  assert.equal(short.tokenCount, 2);

  const long = tokenizer.encode(Array(100).fill('a').join(' '));
  assert.equal(long.ids.length, 77);
  assert.equal(long.tokenCount, 100);
  assert.equal(long.truncated, true);
  assert.equal(long.ids[0], clipBosId);
  assert.ok(long.ids.slice(1, 76).every((id) => id === 320));
  assert.equal(long.ids[76], clipEosId);

  const exactly75 = tokenizer.encode(Array(75).fill('a').join(' '));
  assert.equal(exactly75.truncated, false);
  assert.equal(exactly75.ids[76], clipEosId);
  assert.equal(tokenizer.tokenCount('1girl, solo'), 4); // "1" "girl" "," "solo"
});

test('merges.txt + vocab.json (Hugging Face files): a hand-made vocabulary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clip-hf-'));
  try {
    // ranks: "l o" (0) before "lo w</w>" (1); "h e" unranked after "e l"… worked by hand below
    writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\nl o\nlo w</w>\ne l\n');
    const vocab = { l: 1, o: 2, 'w</w>': 3, lo: 4, 'low</w>': 5, e: 6, el: 7, 'o</w>': 8, h: 9, 'l</w>': 10, '<|startoftext|>': 49406, '<|endoftext|>': 49407 };
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
    const small = ClipTokenizer.fromMergesAndVocab(join(dir, 'merges.txt'), join(dir, 'vocab.json'));
    // "low": l o w</w> → (l o) rank 0 → lo w</w> → (lo w</w>) rank 1 → low</w>
    assert.deepEqual(small.tokenize('low'), [5]);
    // "hello": h e l l o</w> → only "e l" ranks → h el l o</w>
    assert.deepEqual(small.tokenize('hello'), [9, 7, 1, 8]);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ a: 0 }));
    assert.throws(() => ClipTokenizer.fromMergesAndVocab(join(dir, 'merges.txt'), join(dir, 'bad.json')), /bad\.json: not the SD1 CLIP vocabulary/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that is not a merges file is refused by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clip-bad-'));
  try {
    writeFileSync(join(dir, 'x.txt'), 'hello\n');
    assert.throws(() => ClipTokenizer.fromBpeFile(join(dir, 'x.txt')), /x\.txt: not a CLIP BPE merges file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The linters load the tokenizer for counting only (no id tables). Its counts must be the full
// tokenizer's, whose ids are checked by hand above; a merges.txt written from the same merges
// (the Hugging Face layout) must count the same, and a truncated one must be refused.
test('a counting-only tokenizer counts what the full one tokenizes, from either file layout', () => {
  const full = ClipTokenizer.fromBpeFile(bpePath);
  const counting = ClipTokenizer.fromBpeFile(bpePath, true);
  const texts = ['a photo of a cat', '1girl, long hair, saber \\(fate\\), ^_^', 'café, 初音ミク, ｔａｇ, 123456', "it's don't, &amp; <|endoftext|>", '', 'very_long_hair,,  blue   eyes'];
  for (const text of texts) assert.equal(counting.tokenCount(text), full.tokenize(text).length, text);
  assert.throws(() => counting.tokenize('a cat'), /counting only/);
  const dir = mkdtempSync(join(tmpdir(), 'es-merges-'));
  try {
    const merges = gunzipSync(readFileSync(bpePath)).toString('utf8').split('\n').slice(1, 1 + 49152 - 256 - 2);
    writeFileSync(join(dir, 'merges.txt'), ['#version: 0.2', ...merges, ''].join('\n'));
    const fromMerges = ClipTokenizer.countingFromMerges(join(dir, 'merges.txt'));
    for (const text of texts) assert.equal(fromMerges.tokenCount(text), full.tokenize(text).length, text);
    writeFileSync(join(dir, 'merges.txt'), ['#version: 0.2', ...merges.slice(0, 1000)].join('\n'));
    assert.throws(() => ClipTokenizer.countingFromMerges(join(dir, 'merges.txt')), /merges\.txt: not the SD1 CLIP merges file \(expected 48894 "a b" lines, found 1000\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Independent expected values: test/sd/data/clipTokenizerExpected.json was written by
// scripts/reference/clip_tokenizer_expected.py with the real ftfy 6.3.1 (fix_text) and the
// `regex` module doing transformers' CLIPTokenizer clean-up, and the Rust `tokenizers` BPE of
// transformers 5 doing the merges — what AUTOMATIC1111 and ComfyUI compute for these strings.
interface ExpectedCase {
  text: string;
  fixText: string;
  ids: number[];
}
const expected = JSON.parse(readFileSync(join(__dirname, 'data/clipTokenizerExpected.json'), 'utf8')) as { cases: ExpectedCase[] };

test('ftfy.fix_text as ftfy 6.3.1 computes it: HTML, widths, ligatures, quotes, control characters', () => {
  assert.ok(expected.cases.length > 80);
  const wrong = expected.cases.filter((c) => fixText(c.text) !== c.fixText).map((c) => `${JSON.stringify(c.text)}: ${JSON.stringify(fixText(c.text))} ≠ ${JSON.stringify(c.fixText)}`);
  assert.deepEqual(wrong, []);
});

test('token ids equal transformers CLIPTokenizer with ftfy on unicode, HTML and control-character strings', () => {
  const wrong = expected.cases.filter((c) => JSON.stringify(tokenizer.tokenize(c.text)) !== JSON.stringify(c.ids)).map((c) => `${JSON.stringify(c.text)}: [${tokenizer.tokenize(c.text)}] ≠ [${c.ids}]`);
  assert.deepEqual(wrong, []);
  // the counting-only tokenizer counts the same texts alike
  const counting = ClipTokenizer.fromBpeFile(bpePath, true);
  for (const c of expected.cases) assert.equal(counting.tokenCount(c.text), c.ids.length, c.text);
});
