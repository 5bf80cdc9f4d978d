import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { Tagger, taggerModelInfo } from '../../src/dataset/tagger';
import { readModelSignatureFile } from '../../src/dataset/onnxModelSignature';
import { parseSelectedTags } from '../../src/dataset/selectedTags';
import { expectedScores, selectedTagsCsv, testTaggerModel, v2Like, v3Like, writeTestTagger, type TestTaggerOptions } from './testTaggerModel';
import { scratchFolder } from '../support/scratchFolder';

async function images(dir: string): Promise<Record<string, string>> {
  const files = {
    red: join(dir, 'red.png'),
    greenish: join(dir, 'greenish.jpg'),
    transparent: join(dir, 'transparent.png'),
    wideRed: join(dir, 'wide-red.png'),
    broken: join(dir, 'broken.png'),
  };
  await sharp({ create: { width: 100, height: 100, channels: 3, background: '#ff0000' } }).png().toFile(files.red);
  await sharp({ create: { width: 100, height: 100, channels: 3, background: { r: 0, g: 255, b: 160 } } }).jpeg({ quality: 100 }).toFile(files.greenish);
  await sharp({ create: { width: 50, height: 80, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } }).png().toFile(files.transparent);
  await sharp({ create: { width: 200, height: 100, channels: 3, background: '#ff0000' } }).png().toFile(files.wideRed);
  writeFileSync(files.broken, (await sharp(files.red).png().toBuffer()).subarray(0, 60));
  return files;
}

function tagger(options: TestTaggerOptions): Promise<Tagger> {
  const dir = scratchFolder('es-tagger-model-');
  const { model, tags } = writeTestTagger(dir, options);
  return Tagger.open(model, tags, { provider: 'cpu' });
}

test('the model signature gives input name, size and batch kind for v2- and v3-shaped exports', async () => {
  const dir = scratchFolder('es-tagger-sig-');
  const table = parseSelectedTags(selectedTagsCsv());
  const v2 = writeTestTagger(join(dir), v2Like);
  assert.deepEqual(taggerModelInfo(await readModelSignatureFile(v2.model), table), {
    inputName: 'input_1:0',
    outputName: 'predictions_sigmoid',
    size: 448,
    fixedBatch: 1,
    tagCount: 11,
  });
  const v3File = join(dir, 'v3.onnx');
  writeFileSync(v3File, testTaggerModel(v3Like));
  assert.deepEqual(taggerModelInfo(await readModelSignatureFile(v3File), table), { inputName: 'input', outputName: 'output', size: 64, fixedBatch: null, tagCount: 11 });
  const shortTable = parseSelectedTags('tag_id,name,category,count\n1,a,0,1\n');
  assert.throws(() => taggerModelInfo({ inputs: [{ name: 'x', elementType: 1, shape: [1, 3, 448, 448] }], outputs: [{ name: 'y', elementType: 1, shape: [1, 1] }] }, shortTable, 'nchw.onnx'), /nchw.onnx: input 'x' is \[1, 3, 448, 448\].*NHWC/);
  const v3Signature = await readModelSignatureFile(v3File);
  assert.throws(() => taggerModelInfo(v3Signature, shortTable, 'm.onnx'), /outputs 11 scores but the tag list has 1 tags/);
  writeFileSync(join(dir, 'junk.onnx'), 'not a model at all');
  await assert.rejects(readModelSignatureFile(join(dir, 'junk.onnx')), /junk.onnx: (not a readable ONNX model|the ONNX file has no graph)/);
});

for (const [label, options] of [
  ['v2-like (448, fixed batch 1)', v2Like],
  ['v3-like (64, dynamic batch)', v3Like],
  ['raw-logit export (no second sigmoid needed)', { ...v3Like, sigmoidOutput: false }],
] as const) {
  test(`end to end, ${label}: known colours give the hand-computed scores and tags`, async () => {
    const files = await images(scratchFolder('es-tagger-img-'));
    const t = await tagger(options);
    try {
      assert.equal(t.provider, 'cpu');
      const failures: string[] = [];
      const progress: number[] = [];
      const order = [files.red, files.broken, files.greenish, files.transparent, files.wideRed];
      const tagged = await t.tagImages(order, {
        batchSize: 3,
        onFailure: (image, reason, done) => (failures.push(`${image}: ${reason}`), progress.push(done)),
        onImage: (_, done) => progress.push(done),
      });
      assert.equal(t.outputKind, options.sigmoidOutput ? 'probabilities' : 'logits');
      assert.equal(failures.length, 1);
      assert.match(failures[0], /broken\.png: /);
      assert.deepEqual([...progress].sort((a, b) => a - b), [1, 2, 3, 4, 5]);
      const byFile = new Map(tagged.map((x) => [x.image, x]));
      // Mean colours after padding with white: wide red 200×100 → a 200×200 square, half red.
      const means: [string, [number, number, number]][] = [
        [files.red, [255, 0, 0]],
        [files.greenish, [0, 255, 160]],
        [files.transparent, [255, 255, 255]],
        [files.wideRed, [255, 127.5, 127.5]],
      ];
      for (const [file, mean] of means) {
        const got = Array.from(byFile.get(file)!.scores);
        const want = expectedScores(mean);
        got.forEach((s, i) => assert.ok(Math.abs(s - want[i]) < 0.01, `${file} tag ${i}: ${s} vs ${want[i]}`));
      }
      // Hand-derived captions (see testTaggerModel.ts): red → red_theme 6 → .998, hakurei_reimu 4.5 → .989.
      assert.deepEqual(byFile.get(files.red)!.result.captionTags, ['red theme', 'hakurei reimu']);
      assert.deepEqual(byFile.get(files.red)!.result.rating?.name, 'sensitive');
      // Green-cyan: green_theme 3.49 → .970, miku 2.51 → .925, ^_^ 1 → .731; blue_theme .273 and white .246 stay out.
      assert.deepEqual(byFile.get(files.greenish)!.result.captionTags, ['green theme', 'hatsune miku \\(vocaloid\\)', '^_^']);
      // White: white_background 3 → .953, ^_^ 1 → .731; hakurei_reimu .182 is far below 0.85.
      assert.deepEqual(byFile.get(files.transparent)!.result.captionTags, ['white background', '^_^']);
      assert.equal(byFile.get(files.transparent)!.result.rating?.name, 'general');
    } finally {
      await t.release();
    }
  });
}

test('a fixed-batch model is fed one image per run; a dynamic one takes a whole batch', async () => {
  const input = new Float32Array(448 * 448 * 3).fill(255);
  const fixed = await tagger(v2Like);
  try {
    await assert.rejects(fixed.scoreInputs([input, input]), /batches of 1, got 2/);
    assert.equal((await fixed.scoreInputs([input])).length, 1);
  } finally {
    await fixed.release();
  }
  const dynamic = await tagger(v3Like);
  try {
    const small = (v: number) => new Float32Array(64 * 64 * 3).fill(v);
    const scores = await dynamic.scoreInputs([small(255), small(0), small(255)]);
    assert.equal(scores.length, 3);
    const white = expectedScores([255, 255, 255]);
    const black = expectedScores([0, 0, 0]);
    scores[1].forEach((s, i) => assert.ok(Math.abs(s - black[i]) < 1e-5));
    scores[2].forEach((s, i) => assert.ok(Math.abs(s - white[i]) < 1e-5));
  } finally {
    await dynamic.release();
  }
});

test('thresholds and MCut change what the tagger keeps', async () => {
  const dir = scratchFolder('es-tagger-thr-');
  const file = join(dir, 'white.png');
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } }).png().toFile(file);
  const t = await tagger(v3Like);
  try {
    // White: general scores white_background .953, ^_^ .731, three themes .119; characters reimu .182, miku .119.
    const [strict] = await t.tagImages([file], { selection: { generalThreshold: 0.8 } });
    assert.deepEqual(strict.result.captionTags, ['white background']);
    const [loose] = await t.tagImages([file], { selection: { characterThreshold: 0.15, includeRating: true, alwaysFirst: ['mychar'], exclude: ['^_^'] } });
    assert.deepEqual(loose.result.captionTags, ['mychar', 'white background', 'general', 'hakurei reimu']);
    // MCut on characters: scores .182 and .119 → midpoint .150…, floored at .15 → reimu passes.
    const [mcut] = await t.tagImages([file], { selection: { generalMcut: true, characterMcut: true } });
    assert.ok(Math.abs(mcut.result.generalThreshold - (0.731 + 0.119) / 2) < 0.002);
    assert.deepEqual(mcut.result.captionTags, ['white background', '^_^', 'hakurei reimu']);
  } finally {
    await t.release();
  }
});
