// Caption parsing and formatting: tags, keys and exact LSP ranges (UTF-16, CRLF), written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCaption, tagKey, positionAt, computeLineStarts } from '../../src/dataset/caption';
import { formatCaption } from '../../src/dataset/captionFormat';
import { decodeCaptionBytes } from '../../src/dataset/captionDecode';

test('tags keep their raw text and offsets; keys normalise for comparison', () => {
  const caption = parseCaption(' 1girl,Long_Hair ,  saber \\(fate\\), ,blue   eyes');
  assert.deepEqual(
    caption.tags.map((t) => [t.raw, t.start, t.end, t.key]),
    [
      ['1girl', 1, 6, '1girl'],
      ['Long_Hair', 7, 16, 'long hair'],
      ['saber \\(fate\\)', 20, 34, 'saber (fate)'],
      ['blue   eyes', 37, 48, 'blue eyes'],
    ],
  );
  assert.deepEqual(caption.emptySegments, [{ start: 35, end: 36 }]);
  assert.equal(caption.tags[1].usesUnderscores, true);
  assert.equal(caption.tags[3].usesSpaces, true);
  assert.deepEqual(caption.tags[2].unescapedParens, []);
  assert.deepEqual(parseCaption('saber (fate)').tags[0].unescapedParens, [6, 11]);
});

test('ranges are LSP positions: UTF-16 code units, CRLF and CR line breaks', () => {
  // '🍁' is two UTF-16 code units.
  const caption = parseCaption('🍁 leaf, a\r\nb,\rc');
  assert.deepEqual(caption.tags.map((t) => [t.raw, t.range.start, t.range.end]), [
    ['🍁 leaf', { line: 0, character: 0 }, { line: 0, character: 7 }],
    ['a', { line: 0, character: 9 }, { line: 0, character: 10 }],
    ['b', { line: 1, character: 0 }, { line: 1, character: 1 }],
    ['c', { line: 2, character: 0 }, { line: 2, character: 1 }],
  ]);
  assert.deepEqual(computeLineStarts('a\r\nb\nc\rd'), [0, 3, 5, 7]);
  assert.deepEqual(positionAt([0, 3, 5, 7], 4), { line: 1, character: 1 });
});

test('emoticons keep their underscores; smileys are not emphasis', () => {
  assert.equal(tagKey('^_^'), '^_^');
  assert.equal(tagKey('>_<'), '>_<');
  assert.equal(tagKey('o_o'), 'o_o');
  assert.equal(tagKey('black_hair'), 'black hair');
  assert.deepEqual(parseCaption(':)').tags[0].unescapedParens, []);
  assert.equal(parseCaption('^_^').tags[0].usesUnderscores, false);
});

test('formatting: one line, `, ` separators, no empty tags, tag text untouched', () => {
  assert.equal(formatCaption('a,b ,  c,,\n d , Long_Hair,'), 'a, b, c, d, Long_Hair');
  assert.equal(formatCaption('a, b\n'), 'a, b\n');
  assert.equal(formatCaption('a,\r\nb\r\n\r\n'), 'a, b\r\n');
  assert.equal(formatCaption('long   hair,\tblue eyes'), 'long hair, blue eyes');
  assert.equal(formatCaption(' , , '), '');
  assert.equal(formatCaption(''), '');
});

test('decoding: UTF-8 with or without BOM; binary, UTF-16, invalid UTF-8 and huge files refused', () => {
  assert.deepEqual(decodeCaptionBytes(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), 'a.txt'), { ok: true, text: 'a' });
  assert.deepEqual(decodeCaptionBytes(new TextEncoder().encode('café, 🍁'), 'a.txt'), { ok: true, text: 'café, 🍁' });
  const bad = (bytes: number[]) => {
    const result = decodeCaptionBytes(new Uint8Array(bytes), 'x.txt');
    assert.equal(result.ok, false);
    return (result as { problem: string }).problem;
  };
  assert.match(bad([0x61, 0x00, 0x62]), /x\.txt looks binary \(NUL byte at offset 1\)/);
  assert.match(bad([0xfe, 0xff, 0x00, 0x61]), /UTF-16/);
  assert.match(bad([0x61, 0x62, 0xc3]), /invalid byte 0xc3 at offset 2/);
  assert.match(bad([0x61, 0xed, 0xa0, 0x80]), /invalid byte 0xed at offset 1/); // a UTF-16 surrogate encoded in UTF-8
  const huge = decodeCaptionBytes(new Uint8Array(5 * 1024 * 1024).fill(0x61), 'big.txt');
  assert.equal(huge.ok, false);
  assert.match((huge as { problem: string }).problem, /big\.txt is 5\.0 MB/);
});

// The parser takes shortcuts for plain ASCII tags; an independent statement of the rules (the
// regular expressions the shortcuts replace) must agree on every kind of character.
test('keys and tag flags agree with the regular-expression definitions on random text', () => {
  const referenceKey = (raw: string) => {
    let text = raw.trim().toLowerCase();
    const emoticon = text.length <= 5 && (/^[^a-z0-9]*[a-z0-9]?_[a-z0-9]?[^a-z0-9]*$/i.test(text) || /^[:;=8][-']?[()]$|^[()][-']?[:;=]$/.test(text));
    if (!emoticon) text = text.replace(/_/g, ' ');
    return text.replace(/\\([()])/g, '$1').replace(/\s+/g, ' ').trim();
  };
  const alphabet = ['a', 'b', 'Z', '1', ' ', ' ', '  ', '_', '(', ')', '\\', '\t', '\u00a0', '\u3000', 'é', 'É', '-', ':', ';', '^', '\u000b', '\u2003'];
  let state = 7;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let n = 0; n < 5000; n++) {
    let raw = '';
    const length = 1 + Math.floor(next() * 8);
    for (let i = 0; i < length; i++) raw += alphabet[Math.floor(next() * alphabet.length)];
    assert.equal(tagKey(raw), referenceKey(raw), JSON.stringify(raw));
    for (const tag of parseCaption(`x, ${raw}, y`).tags) {
      assert.equal(tag.key, referenceKey(tag.raw), JSON.stringify(tag.raw));
      assert.equal(tag.usesSpaces, /\S\s+\S/.test(tag.raw), `usesSpaces of ${JSON.stringify(tag.raw)}`);
      const emoticon = tag.raw.length <= 5 && (/^[^a-z0-9]*[a-z0-9]?_[a-z0-9]?[^a-z0-9]*$/i.test(tag.raw) || /^[:;=8][-']?[()]$|^[()][-']?[:;=]$/.test(tag.raw));
      assert.equal(tag.usesUnderscores, !emoticon && /[\p{L}\p{N})]_[\p{L}\p{N}(]/u.test(tag.raw), `usesUnderscores of ${JSON.stringify(tag.raw)}`);
      const parens: number[] = [];
      if (!emoticon) for (let j = 0; j < tag.raw.length; j++) {
        if (tag.raw[j] === '\\') j++;
        else if (tag.raw[j] === '(' || tag.raw[j] === ')') parens.push(tag.start + j);
      }
      assert.deepEqual(tag.unescapedParens, parens, `parentheses of ${JSON.stringify(tag.raw)}`);
      assert.ok(parseCaption(`x, ${raw}, y`).keys.has(tag.key));
    }
  }
});
