// caption-length with the real CLIP tokenizer (resources/clip) plugged in through
// `countTokens`: the 75-token boundary exactly, the range at the first tag past it. Counts are
// derived by hand: `long hair` and `smile` are whole words of the CLIP vocabulary (merges
// `long</w>`, `hair</w>`, `smile</w>`), so k tags of `long hair` joined by ", " are 3k - 1 tokens.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ClipTokenizer } from '../../../src/sd/clipTokenizer';
import { CaptionTokenCounter } from '../../../src/train/captionTokenCount';
import { captionedImages, lintFixture, removeDataset } from '../lintFixture';

const bpePath = join(__dirname, '../../../resources/clip/bpe_simple_vocab_16e6.txt.gz');
const tokenizer = ClipTokenizer.fromBpeFile(bpePath);
const dirs: string[] = [];
after(() => dirs.forEach(removeDataset));

const longHair = (k: number, write = (t: string) => t) => Array.from({ length: k }, () => write('long hair'));

describe('caption-length with the CLIP tokenizer', () => {
  test('the words used here are single tokens of the vocabulary', () => {
    const merges = gunzipSync(readFileSync(bpePath)).toString('utf8').split('\n');
    for (const word of ['long', 'hair', 'smile', 'blue', 'eyes']) {
      const line = merges.findIndex((l, i) => i > 0 && l.replace(' ', '') === `${word}</w>`) + 1;
      assert.ok(line > 1, word);
      assert.deepEqual(tokenizer.tokenize(word), [512 + line - 2], word);
    }
  });

  test('75 tokens pass, 76 warn from the tag that crosses the limit, with the exact count', async () => {
    // 24 × long hair = 71 tokens; + ", smile" ×2 = 75.
    const exactly75 = [...longHair(24), 'smile', 'smile'].join(', ');
    // one more comma and word: 77 at the 27th tag.
    const over = [...longHair(24), 'smile', 'smile', 'blue eyes', 'smile'].join(', ');
    // 24 × long hair + smile + long hair: 71 + 2 + 3 = 76, crossing at the 26th tag.
    const exactly76 = [...longHair(24), 'smile', 'long hair'].join(', ');
    const counter = new CaptionTokenCounter(tokenizer);
    const fx = await lintFixture(captionedImages([exactly75, over, exactly76]), { countTokens: counter.count });
    dirs.push(fx.dir);
    assert.deepEqual(fx.of('img0.txt', 'caption-length'), []);

    const [d] = fx.of('img1.txt', 'caption-length');
    assert.ok(d, 'the caption over the limit is reported');
    assert.match(d.message, /^This caption is 80 CLIP tokens, over the 75 of one CLIP chunk: from `blue eyes` on/);
    assert.deepEqual(d.data, { tokens: 80, estimated: false });
    const blueEyesAt = over.indexOf('blue eyes');
    assert.deepEqual(d.range, { start: { line: 0, character: blueEyesAt }, end: { line: 0, character: over.length } });

    const [e] = fx.of('img2.txt', 'caption-length');
    assert.match(e.message, /is 76 CLIP tokens/);
    assert.equal(e.range.start.character, exactly76.lastIndexOf('long hair'));
  });

  test('emphasis weights and escaped brackets count as A1111 tokenizes them', async () => {
    // "(long hair:1.3)" is the two tokens of "long hair": 75 again. Raw, it would be 8 each.
    const weighted = [...longHair(24, (t) => `(${t}:1.3)`), 'smile', 'smile'].join(', ');
    // "\(smile\)" is "(" "smile" ")": 71 + 1 + 3 = 75 through it; then ")," is one merged token
    // (`),</w>`), so ", smile" adds only 1: 76, crossing at the last tag.
    const escaped = [...longHair(24), '\\(smile\\)', 'smile'].join(', ');
    const counter = new CaptionTokenCounter(tokenizer);
    const fx = await lintFixture(captionedImages([weighted, escaped]), { countTokens: counter.count });
    dirs.push(fx.dir);
    assert.deepEqual(fx.of('img0.txt', 'caption-length'), []);
    const [d] = fx.of('img1.txt', 'caption-length');
    assert.match(d.message, /is 76 CLIP tokens, over the 75 of one CLIP chunk: from `smile` on/);
    assert.equal(d.range.start.character, escaped.lastIndexOf('smile'));
  });
});
