import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { insertPngTextChunks, readPngTextChunks } from '../../src/train/pngTextChunks';
import { defaultPreviewPrompts, generationParameters } from '../../src/train/previewRenderer';
import { embeddingTextChunk } from '../../src/train/pngEmbedding';
import { mergeRunConfig } from '../../src/train/config';
import { parsePromptTemplate } from '../../src/train/promptTemplates';
import { runBounded, timeLimits } from '../support/timeLimits';
import { scratchFolder } from '../support/scratchFolder';

test("A1111's generation parameters text", () => {
  assert.equal(
    generationParameters({ prompt: 'miku', negativePrompt: 'lowres', steps: 20, sampler: 'Euler a', cfgScale: 7, seed: 1, width: 512, height: 512, modelHash: 'abcdef1234', modelName: 'anything-v3' }),
    'miku\nNegative prompt: lowres\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Model hash: abcdef1234, Model: anything-v3',
  );
});

test('fixed preview prompts: the name alone and the first template line without filewords', () => {
  const config = mergeRunConfig({ name: 'miku' });
  assert.deepEqual(defaultPreviewPrompts(config, parsePromptTemplate('a picture of [name], [filewords]\nx [name]', 't')), ['miku', 'a picture of miku']);
  assert.deepEqual(defaultPreviewPrompts(mergeRunConfig({ name: 'miku', previewPrompts: ['p1'] }), parsePromptTemplate('[name]', 't')), ['p1']);
  assert.deepEqual(defaultPreviewPrompts(config, parsePromptTemplate('\nart of [name]', 't')), ['miku', 'art of miku']);
});

test('text chunks survive a round trip and decoders (sharp; PIL when present) read them', async () => {
  const png = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#808080' } }).png().toBuffer();
  const embedding = { name: 'miku', vectors: new Float32Array([0.5, -0.25, 1, 2]), count: 2, width: 2, step: 7, checkpointHash: 'abc', checkpointName: 'model' };
  const withText = insertPngTextChunks(png, { parameters: 'miku\nSteps: 20', 'sd-ti-embedding': embeddingTextChunk(embedding), note: 'ünïcode ✓' });
  const texts = readPngTextChunks(withText);
  assert.equal(texts.parameters, 'miku\nSteps: 20');
  assert.equal(texts.note, 'ünïcode ✓');
  const data = JSON.parse(Buffer.from(texts['sd-ti-embedding'], 'base64').toString('utf8'));
  assert.deepEqual(data.string_to_param['*'].TORCHTENSOR, [[0.5, -0.25], [1, 2]]);
  assert.equal(data.step, 7);
  const meta = await sharp(withText).metadata();
  assert.deepEqual([meta.width, meta.height], [4, 3]);
  const python = spawnSync('/usr/bin/python3', ['-c', 'import PIL'], { stdio: 'ignore', timeout: timeLimits.command });
  if (python.status === 0) {
    const path = join(scratchFolder('png-'), 'p.png');
    writeFileSync(path, withText);
    const out = runBounded('/usr/bin/python3', ['-c', 'import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); print(repr(im.text["parameters"]), im.text["note"])', path], { encoding: 'utf8' });
    assert.equal(out.stdout.trim(), "'miku\\nSteps: 20' ünïcode ✓");
  }
});
