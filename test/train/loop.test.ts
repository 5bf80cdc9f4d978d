// The loop's own logic (data order, generator use, accumulation, AdamW, saves, resume, commands)
// over a closed-form step: loss = mean over rows of ‖v − c(row)‖² / n, where the target c
// depends on everything the loop draws (latent, noise, timestep, slots), so any drift in the
// random stream or data order after a resume changes the result. The ONNX step is tested in
// tiLossSession.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClipTokenizer } from '../../src/sd/clipTokenizer';
import { mergeRunConfig } from '../../src/train/config';
import { LatentCache } from '../../src/train/latentCache';
import { TrainingLoop } from '../../src/train/loop';
import { createAdamWState } from '../../src/train/optimizer';
import { parsePromptTemplate } from '../../src/train/promptTemplates';
import { createTrainingRandom } from '../../src/train/trainingRandom';
import type { TextualInversionStep, TrainingBatch } from '../../src/train/trainingStep';
import type { TrainerCommand, TrainerEvent } from '../../src/protocol/trainerMessages';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { runStateFileName } from '../../src/train/runState';

const tokenizer = ClipTokenizer.fromBpeFile(join(__dirname, '../../../shared/clip-vocab/bpe_simple_vocab_16e6.txt.gz'));
const width = 4;
const vectorsCount = 2;

const closedFormStep: TextualInversionStep = {
  latentHeight: 2,
  latentWidth: 2,
  batchSize: 2,
  async run(batch: TrainingBatch, v: Float32Array) {
    const n = v.length;
    const gradient = new Float32Array(n);
    let loss = 0;
    const rows = batch.timesteps.length;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) {
        const c = batch.latents[r * 16 + (i % 16)] + 0.1 * batch.noise[r * 16 + ((i * 3) % 16)] + batch.timesteps[r] / 1000 + batch.slots[r].length / 10;
        loss += (v[i] - c) ** 2 / n / rows;
        gradient[i] += (2 * (v[i] - c)) / n / rows;
      }
    }
    return { loss, gradient };
  },
  async release() {},
};

function makeLoop(runDir: string, overrides: Record<string, unknown>, commands: TrainerCommand[] = [], events: TrainerEvent[] = [], nextCommand?: () => TrainerCommand | undefined, onEvent?: (e: TrainerEvent) => void) {
  const config = mergeRunConfig({ model: 'm', data: 'd', name: 'testemb', vectors: vectorsCount, maxSteps: 12, saveEvery: 4, previewEvery: 0, writeCsvEvery: 1, batchSize: 2, gradientAccumulation: 2, seed: 7, shuffleTags: true, tagDropOut: 0.2, latentSampling: 'random', ...overrides });
  const latentRandom = createTrainingRandom(99);
  const dists = [0, 1, 2, 3, 4].map((k) => ({ mean: new Float32Array(16).map((_, i) => Math.sin(k + i)), logvar: new Float32Array(16).fill(-2) }));
  const latents = new LatentCache(dists, config.latentSampling, () => latentRandom.normal());
  const embedding = { name: 'testemb', vectors: new Float32Array(vectorsCount * width), count: vectorsCount, width, step: 0, checkpointHash: null, checkpointName: null };
  return new TrainingLoop({
    config,
    runDir,
    step: closedFormStep,
    tokenizer,
    template: parsePromptTemplate('a picture of [name], [filewords]\n[filewords], art by [name]', 't'),
    latents,
    captions: ['red hair, smile', 'blue eyes, hat', 'solo, red hair', 'smile', 'hat, solo, sky'],
    random: createTrainingRandom(config.seed),
    embedding,
    optimizer: createAdamWState(vectorsCount * width),
    startStep: 0,
    emit: (e) => {
      events.push(e);
      onEvent?.(e);
    },
    nextCommand: nextCommand ?? (() => commands.shift()),
  });
}

test('stopping at N and resuming to M equals the uninterrupted run to M, bit for bit', async () => {
  const straight = mkdtempSync(join(tmpdir(), 'loop-a-'));
  const a = makeLoop(straight, {});
  const ra = await a.run();
  assert.equal(ra.reason, 'completed');
  assert.equal(ra.step, 12);

  const split = mkdtempSync(join(tmpdir(), 'loop-b-'));
  const stopping = makeLoop(split, {}, [], [], () => (stopping.step === 5 ? { type: 'stop' } : undefined));
  const rb = await stopping.run();
  assert.deepEqual([rb.reason, rb.step], ['stopped', 5]);
  const resumed = makeLoop(split, {});
  resumed.restore(join(split, runStateFileName));
  assert.equal(resumed.step, 5);
  const rc = await resumed.run();
  assert.equal(rc.step, 12);
  assert.deepEqual([...resumed.currentVectors], [...a.currentVectors]);
  assert.deepEqual([...readEmbeddingFile(join(split, 'embeddings', 'testemb.safetensors')).vectors], [...a.currentVectors]);
  // the CSV has every step once, with the same losses as the straight run
  const rowsA = readFileSync(join(straight, 'textual_inversion_loss.csv'), 'utf8');
  assert.equal(readFileSync(join(split, 'textual_inversion_loss.csv'), 'utf8'), rowsA);
  assert.equal(rowsA.trim().split('\n').length, 13);
});

test('after a kill, resuming from the last periodic save repeats only the steps since it', async () => {
  const straight = mkdtempSync(join(tmpdir(), 'loop-c-'));
  const a = makeLoop(straight, { maxSteps: 10, saveEvery: 3 });
  await a.run();
  const killed = mkdtempSync(join(tmpdir(), 'loop-d-'));
  const backup = join(killed, 'state-at-6.safetensors');
  // the run goes on to step 8; keep the state file as it was right after the step-6 save (what a kill at 7 or 8 leaves)
  const partial = makeLoop(killed, { maxSteps: 8, saveEvery: 3 }, [], [], undefined, (e) => {
    if (e.type === 'saved' && e.kind === 'state' && e.step === 6) copyFileSync(e.path, backup);
  });
  await partial.run();
  const b = makeLoop(killed, { maxSteps: 10, saveEvery: 3 });
  b.restore(backup);
  assert.equal(b.step, 6);
  const r = await b.run();
  assert.equal(r.step, 10);
  assert.deepEqual([...b.currentVectors], [...a.currentVectors]);
  assert.equal(readEmbeddingFile(join(killed, 'embeddings', 'testemb-6.safetensors')).step, 6);
  assert.equal(readFileSync(join(killed, 'textual_inversion_loss.csv'), 'utf8'), readFileSync(join(straight, 'textual_inversion_loss.csv'), 'utf8'));
});

test('the loss falls on the closed-form problem, AdamW moves at the learning rate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loop-e-'));
  const events: TrainerEvent[] = [];
  const loop = makeLoop(dir, { maxSteps: 60, latentSampling: 'deterministic', learnRate: '0.05', saveEvery: 0 }, [], events);
  await loop.run();
  const losses = events.filter((e): e is Extract<TrainerEvent, { type: 'progress' }> => e.type === 'progress').map((e) => e.loss ?? Number.NaN);
  assert.equal(losses.length, 60);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(mean(losses.slice(-10)) < 0.5 * mean(losses.slice(0, 10)), `${mean(losses.slice(0, 10))} → ${mean(losses.slice(-10))}`);
});

test('commands: setLearningRate applies from the next step, saveNow saves, stop ends with a final save', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loop-f-'));
  const events: TrainerEvent[] = [];
  const commands: TrainerCommand[] = [{ type: 'setLearningRate', schedule: '0.001' }, { type: 'saveNow' }];
  const loop = makeLoop(dir, { maxSteps: 5, saveEvery: 0 }, commands, events);
  const r = await loop.run();
  assert.equal(r.reason, 'completed');
  const progress = events.filter((e): e is Extract<TrainerEvent, { type: 'progress' }> => e.type === 'progress');
  assert.ok(progress.every((e) => e.learningRate === 0.001));
  assert.ok(events.some((e) => e.type === 'learningRateChanged' && e.learningRate === 0.001));
  assert.ok(events.some((e) => e.type === 'saved' && e.kind === 'embedding' && e.step === 0));
  const stopDir = mkdtempSync(join(tmpdir(), 'loop-g-'));
  const stopped = await makeLoop(stopDir, { maxSteps: 5 }, [{ type: 'stop' }]).run();
  assert.equal(stopped.reason, 'stopped');
  assert.equal(stopped.step, 0);
  assert.ok(existsSync(join(stopDir, 'embeddings', 'testemb.safetensors')));
});

test('a schedule that ends before max steps ends the run with schedule-ended', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loop-h-'));
  const r = await makeLoop(dir, { maxSteps: 10, learnRate: '0.005:4' }).run();
  assert.equal(r.reason, 'schedule-ended');
  assert.equal(r.step, 4);
});
