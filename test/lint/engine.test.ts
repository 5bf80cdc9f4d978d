// The incremental engine against an independent oracle: after every change, the session's
// diagnostics must equal a fresh full lint of the same index, and `changedFiles` must list
// exactly the files whose diagnostics differ from before.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetIndex, type IndexChange } from '../../src/dataset/datasetIndex';
import { LintSession, lintDataset, ruleDocs, ruleDoc, allRules, type LintDiagnostic } from '../../src/lint';
import { captionedImages, writeDataset, removeDataset, png } from './lintFixture';

const dirs: string[] = [];
after(() => dirs.forEach(removeDataset));

function snapshot(map: Map<string, LintDiagnostic[]>): Map<string, string> {
  return new Map([...map].filter(([, list]) => list.length > 0).map(([file, list]) => [file, JSON.stringify(list)]));
}

for (const reporting of ['full IndexChange', 'changed files only'] as const) test(`incremental updates agree with a full re-lint, and report exactly the changed files (${reporting})`, async () => {
  const dir = await writeDataset(
    captionedImages([
      '1girl, maple leaf, school uniform, blonde hair',
      '1girl, school uniform, blonde hair, smile',
      '1girl, school uniform, blonde hair, sitting',
      '1girl, school uniform, blonde hair, smile',
      '1girl, school uniform, blonde hair, smile',
      '1girl, school uniform, blonde hair, standing',
    ]),
  );
  dirs.push(dir);
  const index = await DatasetIndex.build(dir);
  const session = new LintSession(index);
  let before = snapshot(session.lintAll());
  const steps: Array<[string, () => Promise<IndexChange> | IndexChange]> = [
    ['type a vague tag that other captions specialise', () => index.setCaptionText(join(dir, 'img1.txt'), '1girl, school uniform, blonde hair, smile, leaf')],
    ['make a rare tag common', () => index.setCaptionText(join(dir, 'img2.txt'), '1girl, school uniform, blonde hair, standing')],
    ['drop the outfit from one caption', () => index.setCaptionText(join(dir, 'img3.txt'), '1girl, bikini, blonde hair, smile')],
    ['switch a file to underscores', () => index.setCaptionText(join(dir, 'img4.txt'), '1girl, school_uniform, blonde_hair, smile')],
    ['delete an image (its caption becomes an orphan)', () => {
      unlinkSync(join(dir, 'img5.png'));
      return index.updateFile(join(dir, 'img5.png'));
    }],
    ['add an image without a caption', async () => {
      writeFileSync(join(dir, 'new.png'), await png(64, 64));
      return index.updateFile(join(dir, 'new.png'));
    }],
    ['remove a caption with the only `maple leaf`', () => index.removeFile(join(dir, 'img0.txt'))],
    ['turn mirroring on with a heterochromia caption', async () => {
      index.setCaptionText(join(dir, 'img2.txt'), '1girl, heterochromia, school uniform, blonde hair');
      session.update({ files: [join(dir, 'img2.txt')] });
      before = snapshot(session.allDiagnostics());
      mkdirSync(join(dir, '.embedding-studio'), { recursive: true });
      writeFileSync(join(dir, '.embedding-studio/training.json'), '{"mirror": true}');
      return index.updateFile(join(dir, '.embedding-studio/training.json'));
    }],
    ['an unreadable caption from disk', async () => {
      writeFileSync(join(dir, 'img4.txt'), new Uint8Array([0xc3, 0x28]));
      return index.updateFile(join(dir, 'img4.txt'));
    }],
  ];
  for (const [name, step] of steps) {
    const change = await step();
    const update = session.update(reporting === 'full IndexChange' ? change : { files: change.files, kinds: change.kinds });
    const oracle = snapshot(new LintSession(index).lintAll());
    const now = snapshot(session.allDiagnostics());
    assert.deepEqual(now, oracle, `after "${name}" the incremental result differs from a full lint`);
    const expectedChanged = [...new Set([...before.keys(), ...oracle.keys()])].filter((f) => before.get(f) !== oracle.get(f)).sort();
    assert.deepEqual(update.changedFiles, expectedChanged, `after "${name}" changedFiles`);
    for (const file of update.changedFiles) assert.equal(JSON.stringify(update.diagnostics.get(file)), oracle.get(file) ?? '[]');
    before = oracle;
  }
});

test('a keystroke that changes nothing dataset-wide re-lints one file', async () => {
  const dir = await writeDataset(captionedImages(Array.from({ length: 20 }, (_, i) => `1girl, smile, tag${i % 3}`)));
  dirs.push(dir);
  const index = await DatasetIndex.build(dir);
  const session = new LintSession(index);
  session.lintAll();
  const update = session.update(index.setCaptionText(join(dir, 'img7.txt'), '1girl, smile, tag1,'));
  assert.equal(update.relinted, 1);
  assert.deepEqual(update.changedFiles, [join(dir, 'img7.txt')]);
  assert.deepEqual(update.diagnostics.get(join(dir, 'img7.txt'))!.map((d) => d.code), ['formatting']);
});

test('rule metadata: every rule has an id, severity, summary and a doc paragraph; docs by id', () => {
  const ids = allRules.map((r) => r.id);
  assert.deepEqual(
    [...ids].sort(),
    ['caption-length', 'complex-background', 'dataset-size', 'duplicate-tag', 'fixed-trait', 'formatting', 'heterochromia-flip', 'image-size', 'meta-tag', 'missing-caption', 'multiple-people', 'orphan-caption', 'outfit-inconsistency', 'rare-tag', 'underscore-style', 'unescaped-parentheses', 'unreadable-file', 'vague-tag'],
  );
  for (const doc of ruleDocs()) {
    assert.ok(doc.summary.length > 10 && !doc.summary.includes('\n'), doc.id);
    assert.ok(doc.markdown.length > 200 && !doc.markdown.includes('\n\n'), doc.id);
  }
  assert.equal(ruleDoc('vague-tag')?.defaultSeverity, 'warning');
  assert.equal(ruleDoc('nope'), undefined);
});

test('lintDataset resolves dataset-wide fixes when asked', async () => {
  const dir = await writeDataset(captionedImages(['absurdres, 1girl', '1girl, highres']));
  dirs.push(dir);
  const index = await DatasetIndex.build(dir);
  const lazy = lintDataset(index).filter((d) => d.code === 'meta-tag');
  const eager = lintDataset(index, {}, { resolveDeferredFixes: true }).filter((d) => d.code === 'meta-tag');
  const datasetFix = (d: LintDiagnostic) => d.fixes.find((f) => f.scope === 'dataset')!;
  assert.deepEqual(datasetFix(lazy[0]).edits, []);
  assert.deepEqual(datasetFix(eager[0]).edits.map((e) => e.file).sort(), [join(dir, 'img0.txt'), join(dir, 'img1.txt')]);
});

// Random edits (tags typed, removed, respelled; captions and images added and deleted) must
// leave the incremental session equal to a full lint every time: the engine tracks many of
// its dependencies implicitly (a caption's own tags and stem), and this is where a wrong
// shortcut would show.
test('random edits: the incremental result always equals a full re-lint', async () => {
  const vocabulary = ['1girl', 'solo', 'leaf', 'maple leaf', 'red maple leaf', 'ginkgo leaf', 'school uniform', 'school_uniform', 'serafuku', 'pleated skirt', 'bikini', 'blonde hair', 'blue eyes', 'hat', 'witch hat', 'smile', 'absurdres', '2girls', 'heterochromia', 'saber (fate)', 'Long_Hair', 'long hair', 'rare tag', 'city', 'simple background'];
  let state = 99;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const pick = <T,>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  const caption = () => Array.from({ length: 2 + Math.floor(next() * 7) }, () => pick(vocabulary)).join(next() < 0.9 ? ', ' : ',');
  const dir = await writeDataset(captionedImages(Array.from({ length: 12 }, caption)));
  dirs.push(dir);
  const index = await DatasetIndex.build(dir);
  const session = new LintSession(index);
  let before = snapshot(session.lintAll());
  const stems = Array.from({ length: 16 }, (_, i) => `img${i}`);
  for (let step = 0; step < 120; step++) {
    const stem = pick(stems);
    const roll = next();
    let change: IndexChange;
    let what: string;
    if (roll < 0.6) {
      const text = caption();
      what = `type "${text}" into ${stem}.txt`;
      change = index.setCaptionText(join(dir, `${stem}.txt`), text);
      if (change.files.length === 0) {
        writeFileSync(join(dir, `${stem}.txt`), text);
        change = await index.updateFile(join(dir, `${stem}.txt`));
      }
    } else if (roll < 0.7) {
      what = `delete ${stem}.txt`;
      try {
        unlinkSync(join(dir, `${stem}.txt`));
      } catch {}
      change = await index.updateFile(join(dir, `${stem}.txt`));
    } else if (roll < 0.85) {
      what = `delete ${stem}.png`;
      try {
        unlinkSync(join(dir, `${stem}.png`));
      } catch {}
      change = await index.updateFile(join(dir, `${stem}.png`));
    } else {
      what = `add ${stem}.png`;
      writeFileSync(join(dir, `${stem}.png`), await png(64 + Math.floor(next() * 3) * 300, 512));
      change = await index.updateFile(join(dir, `${stem}.png`));
    }
    const update = session.update(step % 2 === 0 ? change : { files: change.files, kinds: change.kinds });
    const oracle = snapshot(new LintSession(index).lintAll());
    assert.deepEqual(snapshot(session.allDiagnostics()), oracle, `step ${step}: after "${what}" the incremental result differs from a full lint`);
    const expectedChanged = [...new Set([...before.keys(), ...oracle.keys()])].filter((f) => before.get(f) !== oracle.get(f)).sort();
    assert.deepEqual(update.changedFiles, expectedChanged, `step ${step}: after "${what}" changedFiles`);
    before = oracle;
  }
});
