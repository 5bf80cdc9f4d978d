import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRunConfig, mergeRunConfig, readRunConfigFile, validateRunConfig } from '../../src/train/config';

test("defaults are A1111's", () => {
  assert.equal(defaultRunConfig.maxSteps, 100000);
  assert.equal(defaultRunConfig.saveEvery, 500);
  assert.equal(defaultRunConfig.previewEvery, 500);
  assert.equal(defaultRunConfig.template, 'style_filewords');
  assert.equal(defaultRunConfig.latentSampling, 'once');
  assert.equal(defaultRunConfig.clipGradMode, 'disabled');
  assert.equal(defaultRunConfig.clipGradValue, '0.1');
  assert.equal(defaultRunConfig.batchSize, 1);
  assert.equal(defaultRunConfig.gradientAccumulation, 1);
  assert.equal(defaultRunConfig.width, 512);
  assert.equal(defaultRunConfig.height, 512);
  assert.equal(defaultRunConfig.shuffleTags, false);
  assert.equal(defaultRunConfig.tagDropOut, 0);
  assert.equal(defaultRunConfig.initText, '*');
});

test('validation names each problem', () => {
  const problems = validateRunConfig(mergeRunConfig({ model: 'm.safetensors', data: 'd', name: 'bad/name', vectors: 61, width: 500, learnRate: '0.005:x', tagDropOut: 1.5 }));
  const errors = problems.filter((p) => p.severity === 'error').map((p) => p.field).sort();
  assert.deepEqual(errors, ['learnRate', 'name', 'tagDropOut', 'vectors', 'width']);
  assert.match(problems.find((p) => p.field === 'vectors')!.message, /more than 60/);
});

test('a valid config has only the vectors advice as a warning', () => {
  const problems = validateRunConfig(mergeRunConfig({ model: 'm', data: 'd', name: 'miku', vectors: 8 }));
  assert.deepEqual(problems, []);
  const few = validateRunConfig(mergeRunConfig({ model: 'm', data: 'd', name: 'miku', vectors: 2 }));
  assert.equal(few.length, 1);
  assert.match(few[0].message, /vague outline/);
});

test('the clip value is validated with the schedule syntax only when clipping is on', () => {
  assert.deepEqual(validateRunConfig(mergeRunConfig({ model: 'm', data: 'd', name: 'n', vectors: 8, clipGradValue: 'nope' })), []);
  const p = validateRunConfig(mergeRunConfig({ model: 'm', data: 'd', name: 'n', vectors: 8, clipGradMode: 'norm', clipGradValue: 'nope' }));
  assert.equal(p[0].field, 'clipGradValue');
});

test('reading a config file reports unknown fields and wrong types with the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const path = join(dir, 'run-config.json');
  writeFileSync(path, JSON.stringify({ name: 'x', maxStep: 3 }));
  assert.throws(() => readRunConfigFile(path), new RegExp(`${path.replace(/[.]/g, '\\.')}: unknown field "maxStep"`));
  writeFileSync(path, JSON.stringify({ maxSteps: '3' }));
  assert.throws(() => readRunConfigFile(path), /field "maxSteps" should be number/);
  writeFileSync(path, JSON.stringify({ maxSteps: 3, initEmbedding: null }));
  assert.equal(readRunConfigFile(path).maxSteps, 3);
});
