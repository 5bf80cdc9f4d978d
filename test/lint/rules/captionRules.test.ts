// Per-caption rules: positive and negative cases written as captions with inline expectations
// (`leaf{vague-tag}`), then every fix applied and the dataset linted again.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetIndex } from '../../../src/dataset/datasetIndex';
import { LintSession, type LintConfig, type LintDiagnostic } from '../../../src/lint';
import { captionedImages, lintFixture, parseExpectations, found, removeDataset, applyFixToDisk, applyEdits, writeDataset, type DatasetSpec } from '../lintFixture';

const dirs: string[] = [];
after(() => dirs.forEach(removeDataset));

/** Lints captions (each beside a 512×512 PNG) written with inline markers; checks `codes` only. */
async function expectMarked(codes: string[], marked: string[], config: LintConfig = {}, extra: DatasetSpec = {}) {
  const parsed = marked.map(parseExpectations);
  const fx = await lintFixture({ ...captionedImages(parsed.map((p) => p.text)), ...extra }, config);
  dirs.push(fx.dir);
  parsed.forEach((p, i) => {
    assert.deepEqual(found(fx.of(`img${i}.txt`), codes), p.expected, `img${i}.txt: ${p.text}`);
  });
  return fx;
}

/** Applies one fix of each diagnostic of `code` (picked by `pick`), re-lints from disk, returns what is left. */
async function fixAndRelint(spec: DatasetSpec, code: string, pick: (d: LintDiagnostic) => number, config: LintConfig = {}) {
  const dir = await writeDataset(spec);
  dirs.push(dir);
  const index = await DatasetIndex.build(dir);
  const session = new LintSession(index, config);
  const first = [...session.lintAll().values()].flat().filter((d) => d.code === code);
  assert.ok(first.length > 0, `${code} should fire before the fix`);
  const d = first[0];
  const fix = session.resolveFix(d.fixes[pick(d)]);
  assert.ok(fix.edits.length > 0, `fix "${fix.title}" has edits`);
  applyFixToDisk(fix.edits);
  const again = new LintSession(await DatasetIndex.build(dir), config);
  const left = [...again.lintAll().values()].flat().filter((x) => x.code === code);
  return { dir, fix, before: first, left };
}

const scopeIndex = (scope: string) => (d: LintDiagnostic) => d.fixes.findIndex((f) => f.scope === scope);

describe('vague-tag', () => {
  test('knowledge-base tags are reported with alternatives; specific tags are not', async () => {
    const fx = await expectMarked(['vague-tag'], ['1girl, leaf{vague-tag}, maple leaf', '1girl, hat{vague-tag}, witch hat, sword{vague-tag}, holding sword', '1girl, ginkgo leaf, smile']);
    const leaf = fx.of('img0.txt', 'vague-tag')[0];
    assert.match(leaf.message, /over-general/);
    assert.ok(leaf.fixes.some((f) => f.title === 'Replace `leaf` with `mint leaf`'));
  });

  test('background things (sky, window, car) inform; things on the character (hat, leaf) warn', async () => {
    const fx = await expectMarked(['vague-tag'], ['1girl, sky{vague-tag}, window{vague-tag}, car{vague-tag}, hat{vague-tag}, leaf{vague-tag}']);
    const severity = Object.fromEntries(fx.of('img0.txt', 'vague-tag').map((d) => [d.data?.tag, d.severity]));
    assert.deepEqual(severity, { sky: 'information', window: 'information', car: 'information', hat: 'warning', leaf: 'warning' });
  });

  test('dataset-driven: other captions use specific tags ending with this one', async () => {
    const fx = await expectMarked(['vague-tag'], ['1girl, umbrellaa{vague-tag}', '1girl, red umbrellaa', '1girl, blue umbrellaa']);
    const d = fx.of('img0.txt', 'vague-tag')[0];
    assert.equal(d.severity, 'information');
    assert.match(d.message, /`red umbrellaa`/);
    assert.deepEqual(d.fixes.filter((f) => f.scope === 'problem').map((f) => f.title).sort(), ['Replace `umbrellaa` with `blue umbrellaa`', 'Replace `umbrellaa` with `red umbrellaa`']);
  });

  test('dataset-driven suggestions lead the knowledge base ones', async () => {
    const fx = await expectMarked(['vague-tag'], ['1girl, leaf{vague-tag}', '1girl, oak leaf', '1girl, smile']);
    const d = fx.of('img0.txt', 'vague-tag')[0];
    assert.equal(d.fixes[0].title, 'Replace `leaf` with `oak leaf`');
    assert.match(d.message, /Other captions of this dataset use `oak leaf`/);
  });

  test('setting, workspace advice and ignore list', async () => {
    await expectMarked(['vague-tag'], ['1girl, gizmo{vague-tag}, leaf, flower{vague-tag}'], { extraVagueTags: { gizmo: ['cog', 'spring'] } }, {
      '.embedding-studio/tag-advice.json': JSON.stringify({ vagueTags: {}, ignoreTags: ['leaf'] }),
    });
    const fx = await expectMarked(['vague-tag'], ['1girl, doohickey{vague-tag}'], {}, { '.embedding-studio/tag-advice.json': '{"vagueTags": {"doohickey": ["widget"]}}' });
    assert.equal(fx.of('img0.txt', 'vague-tag')[0].fixes[0].title, 'Replace `doohickey` with `widget`');
  });

  test('replacing across the dataset leaves no vague leaf and keeps each file well formed', async () => {
    const spec = captionedImages(['1girl, leaf, smile', 'leaf, 1girl', '1girl, maple leaf, leaf']);
    const { dir, left } = await fixAndRelint(spec, 'vague-tag', (d) => d.fixes.findIndex((f) => f.scope === 'dataset' && f.title.includes('`maple leaf`')));
    assert.deepEqual(left, []);
    assert.equal(readFileSync(join(dir, 'img0.txt'), 'utf8'), '1girl, maple leaf, smile');
    assert.equal(readFileSync(join(dir, 'img1.txt'), 'utf8'), 'maple leaf, 1girl');
    assert.equal(readFileSync(join(dir, 'img2.txt'), 'utf8'), '1girl, maple leaf');
  });

  test('a replacement follows the file’s underscore style', async () => {
    const spec = captionedImages(['1girl, long_hair, leaf']);
    const { dir } = await fixAndRelint(spec, 'vague-tag', (d) => d.fixes.findIndex((f) => f.title.includes('ginkgo')));
    assert.equal(readFileSync(join(dir, 'img0.txt'), 'utf8'), '1girl, long_hair, ginkgo_leaf');
  });
});

describe('duplicate-tag', () => {
  test('repeats are found by tag key (case, underscores, spacing)', async () => {
    await expectMarked(['duplicate-tag'], ['1girl, long hair, Long_Hair{duplicate-tag}, smile, long  hair{duplicate-tag}', '1girl, long hair, very long hair']);
  });
  test('fix this, fix the file, fix the dataset', async () => {
    const spec = captionedImages(['a, b, a, b, a', 'x, x, y']);
    let r = await fixAndRelint(spec, 'duplicate-tag', scopeIndex('problem'));
    assert.equal(r.left.length, r.before.length - 1);
    assert.equal(readFileSync(join(r.dir, 'img0.txt'), 'utf8'), 'a, b, b, a');
    r = await fixAndRelint(spec, 'duplicate-tag', scopeIndex('file'));
    assert.equal(readFileSync(join(r.dir, 'img0.txt'), 'utf8'), 'a, b');
    r = await fixAndRelint(spec, 'duplicate-tag', scopeIndex('dataset'));
    assert.deepEqual(r.left, []);
    assert.equal(readFileSync(join(r.dir, 'img1.txt'), 'utf8'), 'x, y');
  });
});

describe('formatting', () => {
  const cases: Array<[string, string[], string]> = [
    ['1girl, smile', [], '1girl, smile'],
    ['1girl, smile\n', [], '1girl, smile\n'],
    ['1girl,smile', ['formatting@0:5'], '1girl, smile'],
    ['1girl , smile', ['formatting@0:5'], '1girl, smile'],
    ['1girl, , smile', ['formatting@0:5'], '1girl, smile'],
    [', 1girl, smile,', ['formatting@0:0', 'formatting@0:14'], '1girl, smile'],
    ['  1girl, smile  ', ['formatting@0:0', 'formatting@0:14'], '1girl, smile'],
    ['1girl, long   hair', ['formatting@0:7'], '1girl, long hair'],
    ['1girl,\nsmile\n\n', ['formatting@0:5', 'formatting@1:5'], '1girl, smile\n'],
    ['1girl\nsmile', ['formatting@0:5'], '1girl, smile'],
    [' , ,', ['formatting@0:0'], ''],
  ];
  for (const [text, expected, formatted] of cases) {
    test(`${JSON.stringify(text)}`, async () => {
      const fx = await lintFixture(captionedImages([text]));
      dirs.push(fx.dir);
      assert.deepEqual(found(fx.of('img0.txt'), ['formatting']), expected);
      if (expected.length === 0) return;
      // Applying every "fix this" gives the same text as the whole-file fix.
      const problemEdits = fx.of('img0.txt', 'formatting').flatMap((d) => d.fixes.filter((f) => f.scope === 'problem').flatMap((f) => f.edits));
      assert.equal(applyEdits(text, problemEdits), formatted);
      const fileFix = fx.of('img0.txt', 'formatting')[0].fixes.find((f) => f.scope === 'file')!;
      assert.equal(applyEdits(text, fileFix.edits), formatted);
    });
  }
  test('normalising the dataset leaves nothing to fix', async () => {
    const r = await fixAndRelint(captionedImages(['a,b', ' c , d,', 'e, f']), 'formatting', scopeIndex('dataset'));
    assert.deepEqual(r.left, []);
    assert.equal(readFileSync(join(r.dir, 'img1.txt'), 'utf8'), 'c, d');
  });
});

describe('underscore-style', () => {
  test('tags against the dataset’s majority style are reported; kaomoji are not', async () => {
    await expectMarked(['underscore-style'], ['1girl, long hair, blue eyes', 'long hair, ^_^, white shirt', '1girl, long_hair{underscore-style}, blue eyes']);
    await expectMarked(['underscore-style'], ['long_hair, blue_eyes', 'white_shirt, ^_^', 'long_hair, blue eyes{underscore-style}']);
  });
  test('no majority, no report', async () => {
    await expectMarked(['underscore-style'], ['long hair', 'long_hair']);
  });
  test('converting the file and the dataset', async () => {
    const spec = captionedImages(['long hair, blue eyes', 'white shirt, smile', 'long_hair, blue_eyes, school uniform']);
    let r = await fixAndRelint(spec, 'underscore-style', scopeIndex('file'));
    assert.deepEqual(r.left, []);
    assert.equal(readFileSync(join(r.dir, 'img2.txt'), 'utf8'), 'long hair, blue eyes, school uniform');
    r = await fixAndRelint(spec, 'underscore-style', scopeIndex('dataset'));
    assert.deepEqual(r.left, []);
  });
});

describe('unescaped-parentheses', () => {
  test('unescaped brackets are reported, escaped ones are not', async () => {
    await expectMarked(['unescaped-parentheses'], ['1girl, saber (fate){unescaped-parentheses}, artoria pendragon \\(fate\\)', '1girl, :)', 'smile']);
  });
  test('escaping', async () => {
    const r = await fixAndRelint(captionedImages(['saber (fate), rin (fate)', 'x \\(y)']), 'unescaped-parentheses', scopeIndex('dataset'));
    assert.deepEqual(r.left, []);
    assert.equal(readFileSync(join(r.dir, 'img0.txt'), 'utf8'), 'saber \\(fate\\), rin \\(fate\\)');
    assert.equal(readFileSync(join(r.dir, 'img1.txt'), 'utf8'), 'x \\(y\\)');
  });
});

describe('meta-tag', () => {
  test('file/site tags are reported; visible marks are content', async () => {
    await expectMarked(['meta-tag'], ['1girl, absurdres{meta-tag}, highres{meta-tag}, commentary_request{meta-tag}, watermark, signature', 'general{meta-tag}, masterpiece{meta-tag}, smile', '1girl, artist name, dated']);
  });
  test('removing meta tags leaves none and keeps the layout', async () => {
    const r = await fixAndRelint(captionedImages(['absurdres, highres, 1girl, bad id, smile', '1girl']), 'meta-tag', scopeIndex('file'));
    assert.deepEqual(r.left, []);
    assert.equal(readFileSync(join(r.dir, 'img0.txt'), 'utf8'), '1girl, smile');
  });
});

describe('multiple-people', () => {
  test('several people are reported; one person is not', async () => {
    await expectMarked(['multiple-people'], ['2girls{multiple-people}, smile', '1girl, 1boy{multiple-people}', 'multiple_girls{multiple-people}, 6+girls{multiple-people}', '1girl, solo, smile', '1boy, solo']);
  });
});

describe('complex-background', () => {
  test('one information diagnostic at the first busy background tag', async () => {
    const fx = await expectMarked(['complex-background'], ['1girl, outdoors{complex-background}, cityscape', '1girl, simple background, white background']);
    assert.equal(fx.of('img0.txt', 'complex-background')[0].severity, 'information');
  });
});

describe('caption-length', () => {
  test('estimated tokens over 75 are reported from the first overflowing tag', async () => {
    // 40 two-word tags: 80 word tokens + 39 commas, far over 75; 20 one-word tags: 20 + 19 = 39.
    const long = Array.from({ length: 40 }, (_, i) => `tag word${i % 10}`).join(', ');
    const short = Array.from({ length: 20 }, () => 'smile').join(', ');
    const fx = await lintFixture(captionedImages([long, short]));
    dirs.push(fx.dir);
    const [d] = fx.of('img0.txt', 'caption-length');
    assert.match(d.message, /about \d+ CLIP tokens \(estimated\)/);
    // `tag word0` is 3 estimated tokens (`tag`, `word`, `0`) plus 1 for the comma before it:
    // after k tags 4k - 1 tokens, over 75 at k = 20, so the range starts at the 20th tag.
    assert.equal(d.range.start.character, 19 * 'tag word0, '.length);
    assert.deepEqual(fx.of('img1.txt', 'caption-length'), []);
  });
  test('a real tokenizer plugged in through countTokens is used and not called an estimate', async () => {
    const fx = await lintFixture(captionedImages(['a, b, c', 'x']), { countTokens: (text) => (text.length > 1 ? 100 : 1) });
    dirs.push(fx.dir);
    assert.match(fx.of('img0.txt', 'caption-length')[0].message, /is 100 CLIP tokens, over/);
    assert.deepEqual(fx.of('img1.txt', 'caption-length'), []);
  });
});

describe('heterochromia-flip', () => {
  test('reported only while mirrored copies are on; the fix turns mirroring off', async () => {
    const spec = { ...captionedImages(['1girl, heterochromia, blue eyes', '1girl, smile']), '.embedding-studio/training.json': '{\n  "steps": 100,\n  "mirror": true\n}\n' };
    const fx = await lintFixture(spec);
    dirs.push(fx.dir);
    assert.deepEqual(found(fx.of('img0.txt'), ['heterochromia-flip']), ['heterochromia-flip@0:7']);
    assert.equal(fx.of('img0.txt', 'heterochromia-flip')[0].severity, 'error');
    assert.deepEqual(fx.of('img1.txt', 'heterochromia-flip'), []);
    const r = await fixAndRelint(spec, 'heterochromia-flip', () => 0);
    assert.deepEqual(r.left, []);
    assert.equal(readFileSync(join(r.dir, '.embedding-studio/training.json'), 'utf8'), '{\n  "steps": 100,\n  "mirror": false\n}\n');
    await expectMarked(['heterochromia-flip'], ['1girl, heterochromia'], {}, { '.embedding-studio/training.json': '{"mirror": false}' });
    await expectMarked(['heterochromia-flip'], ['1girl, heterochromia']);
  });
});

describe('configuration', () => {
  test('a rule can be turned off or given another severity', async () => {
    const fx = await lintFixture(captionedImages(['1girl, absurdres, leaf']), { rules: { 'meta-tag': 'off', 'vague-tag': 'error' } });
    dirs.push(fx.dir);
    assert.deepEqual(fx.of('img0.txt', 'meta-tag'), []);
    assert.equal(fx.of('img0.txt', 'vague-tag')[0].severity, 'error');
  });
});
