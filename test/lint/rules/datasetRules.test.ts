// Dataset-wide and file rules: outfit, fixed traits, rare tags, pairing, image sizes, dataset
// size, unreadable files. Each with positive and negative cases on real files.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetIndex } from '../../../src/dataset/datasetIndex';
import { LintSession } from '../../../src/lint';
import { captionedImages, lintFixture, parseExpectations, found, removeDataset, applyFixToDisk } from '../lintFixture';

const dirs: string[] = [];
after(() => dirs.forEach(removeDataset));

async function lintCaptions(marked: string[], codes: string[]) {
  const parsed = marked.map(parseExpectations);
  const fx = await lintFixture(captionedImages(parsed.map((p) => p.text)));
  dirs.push(fx.dir);
  parsed.forEach((p, i) => assert.deepEqual(found(fx.of(`img${i}.txt`), codes), p.expected, `img${i}.txt: ${p.text}`));
  return fx;
}

describe('outfit-inconsistency', () => {
  test('a caption lacking the shared outfit, and a rarely worn piece, are reported', async () => {
    const fx = await lintCaptions(
      [
        '1girl, school uniform, pleated skirt',
        '1girl, school uniform, pleated skirt',
        '1girl, school uniform, pleated skirt, smile',
        '1girl, school uniform, pleated skirt',
        '1girl{outfit-inconsistency}, bikini{outfit-inconsistency}',
      ],
      ['outfit-inconsistency'],
    );
    const [missing, outlier] = fx.of('img4.txt', 'outfit-inconsistency');
    assert.match(missing.message, /`pleated skirt` \(4 of 5\), `school uniform` \(4 of 5\)/);
    assert.match(outlier.message, /`bikini` is worn in only 1 of 5 images/);
    // The add fix appends the tag in the file's style.
    const add = missing.fixes.find((f) => f.title.startsWith('Add `school uniform`'))!;
    assert.equal(add.edits[0].newText, ', school uniform');
  });
  test('consistent outfits and small datasets are quiet', async () => {
    await lintCaptions(['1girl, serafuku', '1girl, serafuku, smile', 'serafuku', 'serafuku, smile'], ['outfit-inconsistency']);
    await lintCaptions(['1girl, serafuku', '1girl, bikini', 'serafuku'], ['outfit-inconsistency']);
  });
});

describe('fixed-trait', () => {
  test('a trait in at least 80% of captions is hinted; removing it everywhere clears it', async () => {
    const captions = ['1girl, blonde hair{fixed-trait}, smile', 'blonde hair{fixed-trait}, sitting', 'blonde_hair{fixed-trait}', 'blonde hair{fixed-trait}, blue eyes', 'blonde hair{fixed-trait}, blue eyes', '1girl, red eyes'];
    const fx = await lintCaptions(captions, ['fixed-trait']);
    const d = fx.of('img0.txt', 'fixed-trait')[0];
    assert.equal(d.severity, 'hint');
    assert.match(d.message, /hair colour\) is in nearly every caption \(at least 80%\)/);
    const fix = fx.session.resolveFix(d.fixes.find((f) => f.scope === 'dataset')!);
    assert.equal(new Set(fix.edits.map((e) => e.file)).size, 5);
    applyFixToDisk(fix.edits);
    assert.equal(readFileSync(join(fx.dir, 'img2.txt'), 'utf8'), '');
    assert.equal(readFileSync(join(fx.dir, 'img0.txt'), 'utf8'), '1girl, smile');
    const again = new LintSession(await DatasetIndex.build(fx.dir)).lintAll();
    assert.deepEqual([...again.values()].flat().filter((x) => x.code === 'fixed-trait'), []);
  });
  test('non-trait tags and traits in fewer captions are quiet', async () => {
    await lintCaptions(['1girl, smile', '1girl, smile', '1girl, blue eyes', '1girl', '1girl, smile'], ['fixed-trait']);
  });
});

describe('rare-tag', () => {
  test('a tag in one caption of five or more is hinted', async () => {
    await lintCaptions(['1girl, smile', '1girl, smile', '1girl, lond hair{rare-tag}', '1girl', '1girl, smile'], ['rare-tag']);
  });
  test('datasets under five captions say nothing about rarity', async () => {
    await lintCaptions(['1girl, lond hair', '1girl', '1girl', '1girl'], ['rare-tag']);
  });
});

describe('pairing, sizes and dataset size', () => {
  test('missing captions land on the image, orphan captions on the caption', async () => {
    const fx = await lintFixture({ 'a.png': { width: 512, height: 512 }, 'a.txt': '1girl', 'b.jpg': new Uint8Array(0), 'c.txt': '1girl', 'sub/d.webp': { width: 8, height: 8 }, 'd.txt': '1girl' });
    dirs.push(fx.dir);
    assert.deepEqual(found(fx.of('a.png')), []);
    assert.deepEqual(found(fx.of('c.txt'), ['orphan-caption']), ['orphan-caption@0:0']);
    assert.deepEqual(found(fx.of('d.txt'), ['orphan-caption']), ['orphan-caption@0:0']); // pairs only within one folder
    assert.deepEqual(found(fx.of('sub/d.webp'), ['missing-caption']), ['missing-caption@0:0']);
    // an image nothing can use is reported as such, without caption advice for it
    assert.deepEqual(found(fx.of('b.jpg'), ['missing-caption', 'unreadable-file']), ['unreadable-file@0:0']);
    const missing = fx.of('sub/d.webp', 'missing-caption')[0];
    assert.deepEqual(missing.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } });
    assert.match(missing.message, /`d\.txt`/);
    assert.match(missing.message, /uses the caption `d` from its file name\.$/);
  });
  test("missing-caption says what A1111 makes of the file name, and when it eats a tag's digits", async () => {
    const fx = await lintFixture({ '00012-1girl_solo.png': { width: 512, height: 512 }, '123 cat.png': { width: 512, height: 512 } });
    assert.match(fx.of('00012-1girl_solo.png', 'missing-caption')[0].message, /uses the caption `girl_solo` from its file name \(the leading number also takes the `1` of `1girl`\)/);
    assert.match(fx.of('123 cat.png', 'missing-caption')[0].message, /uses the caption `cat` from its file name\.$/);
  });
  test('image sizes: under 512 px (warning) and far from square (information)', async () => {
    const fx = await lintFixture({ 'ok.png': { width: 512, height: 512 }, 'ok.txt': 'a', 'wide.png': { width: 1024, height: 512 }, 'wide.txt': 'a', 'small.png': { width: 300, height: 320 }, 'small.txt': 'a', 'near.png': { width: 600, height: 512 }, 'near.txt': 'a' });
    dirs.push(fx.dir);
    assert.deepEqual(fx.of('ok.png', 'image-size'), []);
    assert.deepEqual(fx.of('near.png', 'image-size'), []); // 1.17:1 is close enough
    const [wide] = fx.of('wide.png', 'image-size');
    assert.equal(wide.severity, 'information');
    assert.match(wide.message, /1024×512.*drops 50%/);
    const [small] = fx.of('small.png', 'image-size');
    assert.equal(small.severity, 'warning');
    assert.match(small.message, /300×320/);
  });
  test('dataset size: warning under 10, information outside 30–50, quiet inside', async () => {
    const sizes: Array<[number, string | undefined]> = [[3, 'warning'], [12, 'information'], [30, undefined], [50, undefined], [51, 'information']];
    for (const [n, severity] of sizes) {
      const fx = await lintFixture(captionedImages(Array.from({ length: n }, () => '1girl'), { width: 8, height: 8 }));
      dirs.push(fx.dir);
      const ds = fx.diagnostics.filter((d) => d.code === 'dataset-size');
      assert.deepEqual(ds.map((d) => d.severity), severity ? [severity] : [], `${n} images`);
      if (severity) assert.equal(ds[0].file, fx.dir);
    }
  });
});

describe('unreadable-file', () => {
  test('binary, UTF-16, invalid UTF-8 and huge captions, corrupt images, broken settings', async () => {
    const fx = await lintFixture({
      'bin.png': { width: 512, height: 512 },
      'bin.txt': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]),
      'utf16.png': { width: 512, height: 512 },
      'utf16.txt': new Uint8Array([0xff, 0xfe, 0x61, 0x00, 0x2c, 0x00]),
      'latin1.png': { width: 512, height: 512 },
      'latin1.txt': new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x2c, 0x20, 0x61]),
      'huge.png': { width: 512, height: 512 },
      'huge.txt': 'a, '.repeat(2 * 1024 * 1024),
      'corrupt.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]),
      'corrupt.txt': '1girl',
      '.embedding-studio/tag-advice.json': '{"vagueTags": [}',
    });
    dirs.push(fx.dir);
    const message = (name: string) => fx.of(name, 'unreadable-file').map((d) => d.message).join(' | ');
    assert.match(message('bin.txt'), /bin\.txt looks binary \(NUL byte at offset 4\)/);
    assert.match(message('utf16.txt'), /UTF-16/);
    assert.match(message('latin1.txt'), /not valid UTF-8 \(invalid byte 0xe9 at offset 3\)/);
    assert.match(message('huge.txt'), /huge\.txt is 6\.0 MB/);
    assert.match(message('corrupt.png'), /corrupt\.png could not be read as an image/);
    assert.match(message('.embedding-studio/tag-advice.json'), /not valid JSON/);
    for (const name of ['bin.txt', 'utf16.txt', 'latin1.txt', 'huge.txt', 'corrupt.png']) {
      assert.equal(fx.of(name, 'unreadable-file')[0].severity, 'error', name);
    }
    // An unreadable caption is still a caption: its image is not reported as missing one.
    assert.deepEqual(fx.of('bin.png', 'missing-caption'), []);
  });
});
