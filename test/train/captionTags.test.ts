import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentCaptionTags } from '../../src/train/captionTags';
import { scriptedSource } from '../../src/train/randomSource';
import { choosePromptLine, fillPromptTemplate, loadPromptTemplate, parsePromptTemplate, shippedTemplateNames } from '../../src/train/promptTemplates';

test('no augmentation leaves the caption byte for byte', () => {
  assert.equal(augmentCaptionTags('1girl, red hair,  smile', { shuffleTags: false, tagDropOut: 0 }, scriptedSource([])), '1girl, red hair,  smile');
});

test("dropout keeps a tag only when its draw is > p, and joins with ',' as A1111 does", () => {
  // draws 0.5 (keep), 0.2 (drop: not > 0.3), 0.3 (drop: equal), 0.9 (keep)
  const out = augmentCaptionTags('a, b, c, d', { shuffleTags: false, tagDropOut: 0.3 }, scriptedSource([0.5, 0.2, 0.3, 0.9]));
  assert.equal(out, 'a, d');
});

test("shuffle is Python's Fisher–Yates: i from n-1 down, j = floor(u*(i+1))", () => {
  // tags [a, b, c, d]; i=3: u=0.1 → j=0 → [d,b,c,a]; i=2: u=0.99 → j=2 → same; i=1: u=0.5 → j=1 → same
  assert.equal(augmentCaptionTags('a,b,c,d', { shuffleTags: true, tagDropOut: 0 }, scriptedSource([0.1, 0.99, 0.5])), 'd,b,c,a');
  // i=3: u=0.6 → j=2 → [a,b,d,c]; i=2: u=0.0 → j=0 → [d,b,a,c]; i=1: u=0.7 → j=1
  assert.equal(augmentCaptionTags('a,b,c,d', { shuffleTags: true, tagDropOut: 0 }, scriptedSource([0.6, 0.0, 0.7])), 'd,b,a,c');
});

test('dropout happens before shuffle', () => {
  // drop: 0.9 keep a, 0.1 drop b, 0.9 keep c → [a, c]; shuffle i=1: u=0.0 → j=0 → [c, a]
  assert.equal(augmentCaptionTags('a,b,c', { shuffleTags: true, tagDropOut: 0.5 }, scriptedSource([0.9, 0.1, 0.9, 0.0])), 'c,a');
});

// What A1111 reads from these files: [x.strip() for x in open(path).readlines()], run in python3
// 3.11 on files written with newline='' (output pasted here).
const pythonLines: [string, string[]][] = [["a\n\nb\n", ["a", "", "b"]], ["a\r\rb", ["a", "", "b"]], ["a\r\nb\r\n\r\n", ["a", "b", ""]], ["  x  \n\u001c y \u0085\n", ["x", "y"]], ["a\n\nb", ["a", "", "b"]], ["one", ["one"]], ["a\n\n", ["a", ""]]];

test("templates are read as A1111 reads them: lone CR ends a line, empty lines are prompts, with a warning", () => {
  for (const [text, lines] of pythonLines) assert.deepEqual(parsePromptTemplate(text, 't').lines, lines, JSON.stringify(text));
  const t = parsePromptTemplate('a\n\nb\n', 'mine.txt');
  // random.choice over three lines: u in [1/3, 2/3) draws the empty one
  assert.equal(choosePromptLine(t, scriptedSource([0.4])), '');
  assert.deepEqual(t.warnings, ['template mine.txt: line 2 is empty; AUTOMATIC1111 and this trainer use an empty line as a prompt (the empty prompt, drawn 1 time(s) in 3), which trains nothing — delete it']);
  assert.deepEqual(parsePromptTemplate('a\nb', 't').warnings, []);
});

test('templates: [filewords] and [name] are filled; lines are trimmed', () => {
  const t = parsePromptTemplate('  a picture of [name], [filewords]  \n[filewords], art by [name]\n', 'mine');
  assert.deepEqual(t.lines, ['a picture of [name], [filewords]', '[filewords], art by [name]']);
  assert.equal(fillPromptTemplate(t.lines[1], 'miku', 'blue hair, smile'), 'blue hair, smile, art by miku');
  assert.equal(choosePromptLine(t, scriptedSource([0.49])), t.lines[0]);
  assert.equal(choosePromptLine(t, scriptedSource([0.5])), t.lines[1]);
  assert.throws(() => parsePromptTemplate('\n \n', 'empty.txt'), /empty\.txt has no prompt lines/);
});

test('the four shipped templates load and use the right placeholders', () => {
  for (const name of shippedTemplateNames) {
    const t = loadPromptTemplate(name);
    assert.ok(t.lines.length >= 10, name);
    for (const line of t.lines) {
      assert.ok(line.includes('[name]'), `${name}: ${line}`);
      assert.equal(line.includes('[filewords]'), name.endsWith('_filewords'), `${name}: ${line}`);
    }
  }
  assert.throws(() => loadPromptTemplate('/nonexistent/t.txt'), /cannot read \/nonexistent\/t\.txt/);
});
