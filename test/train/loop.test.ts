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
import { parseTrainerEvent } from '../../src/protocol/trainerMessages';
import { runStateFileName } from '../../src/train/runState';

const tokenizer = ClipTokenizer.fromBpeFile(join(__dirname, '../../resources/clip/bpe_simple_vocab_16e6.txt.gz'));
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

function makeLoop(runDir: string, overrides: Record<string, unknown>, commands: TrainerCommand[] = [], events: TrainerEvent[] = [], nextCommand?: () => TrainerCommand | undefined, onEvent?: (e: TrainerEvent) => void, step: TextualInversionStep = closedFormStep) {
  const config = mergeRunConfig({ model: 'm', data: 'd', name: 'testemb', vectors: vectorsCount, maxSteps: 12, saveEvery: 4, previewEvery: 0, writeCsvEvery: 1, batchSize: 2, gradientAccumulation: 2, seed: 7, shuffleTags: true, tagDropOut: 0.2, latentSampling: 'random', ...overrides });
  const latentRandom = createTrainingRandom(99);
  const dists = [0, 1, 2, 3, 4].map((k) => ({ mean: new Float32Array(16).map((_, i) => Math.sin(k + i)), logvar: new Float32Array(16).fill(-2) }));
  const latents = new LatentCache(dists, config.latentSampling, () => latentRandom.normal());
  const embedding = { name: 'testemb', vectors: new Float32Array(vectorsCount * width), count: vectorsCount, width, step: 0, checkpointHash: null, checkpointName: null };
  return new TrainingLoop({
    config,
    runDir,
    step,
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

/** The closed-form step, except that its `nanCall`-th run (0-based) returns a NaN loss and gradient, as an overflow does. */
function stepWithNaNAt(nanCall: number): TextualInversionStep {
  let calls = 0;
  return {
    ...closedFormStep,
    async run(batch, v) {
      const result = await closedFormStep.run(batch, v);
      return calls++ === nanCall ? { loss: Number.NaN, gradient: result.gradient.map(() => Number.NaN) } : result;
    },
  };
}

type Progress = Extract<TrainerEvent, { type: 'progress' }>;
type Guidance = Extract<TrainerEvent, { type: 'guidance' }>;

test('a NaN loss: progress says null, the step is skipped, diverged says so and what to do, the CSV says nan', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loop-nan-'));
  const events: TrainerEvent[] = [];
  // Two batches per step (gradientAccumulation 2): run 10 is the first batch of step 6.
  const loop = makeLoop(dir, { maxSteps: 12, saveEvery: 4, writeCsvEvery: 500 }, [], events, undefined, undefined, stepWithNaNAt(10));
  const result = await loop.run();
  assert.deepEqual([result.reason, result.step, result.embeddingPath], ['diverged', 6, join(dir, 'embeddings', 'testemb-4.safetensors')]);
  // Every event is valid on the wire: no NaN travels, nothing is refused.
  for (const event of events) parseTrainerEvent(JSON.parse(JSON.stringify(event)));
  const progress = events.filter((e): e is Progress => e.type === 'progress');
  assert.deepEqual(progress.map((p) => p.step), [1, 2, 3, 4, 5, 6]);
  assert.equal(progress[5].loss, null);
  assert.ok(progress.slice(0, 5).every((p) => typeof p.loss === 'number' && p.loss >= 0), 'no -1 or other stand-in before it');
  // The average is of the finite losses 1..5, computed here from what was reported.
  const finiteMean = progress.slice(0, 5).reduce((s, p) => s + p.loss!, 0) / 5;
  assert.ok(Math.abs(progress[5].lossAverage! - finiteMean) < 1e-12, `${progress[5].lossAverage} vs ${finiteMean}`);
  const diverged = events.filter((e): e is Guidance => e.type === 'guidance' && e.kind === 'diverged');
  assert.equal(diverged.length, 1);
  assert.equal(diverged[0].step, 6);
  assert.ok(events.indexOf(diverged[0]) > events.indexOf(progress[5]), 'the guidance follows the progress it explains');
  assert.match(diverged[0].message, /the loss is not finite \(NaN\) at step 6: this step was skipped \(the embedding was not updated\)/);
  assert.match(diverged[0].message, /continue with the learning rate lowered to 0.0001/);
  assert.equal(diverged[0].suggestedLearningRate, 0.0001);
  assert.equal(diverged[0].rollbackTo?.path, join(dir, 'embeddings', 'testemb-4.safetensors'));
  // Skipped means skipped: the vectors are those of the same run stopped after step 5.
  const fiveSteps = makeLoop(mkdtempSync(join(tmpdir(), 'loop-nan5-')), { maxSteps: 5, saveEvery: 4 });
  await fiveSteps.run();
  assert.deepEqual([...loop.currentVectors], [...fiveSteps.currentVectors]);
  // The log was flushed although the run ended without a final save. With --csv-every 500 no
  // step gets a row (A1111's rule: every 500th), except the one whose loss was not finite.
  const csv = readFileSync(join(dir, 'textual_inversion_loss.csv'), 'utf8').split('\r\n');
  assert.deepEqual(csv, ['step,epoch,epoch_step,loss,learn_rate', '6,5,0,nan,0.005', '']);
});

test('with auto-rollback, a NaN loss rolls back to the best save and goes on at the next lower rate', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loop-nan-rb-'));
  const events: TrainerEvent[] = [];
  const loop = makeLoop(dir, { maxSteps: 10, saveEvery: 4, autoRollback: true }, [], events, undefined, undefined, stepWithNaNAt(10));
  const result = await loop.run();
  assert.deepEqual([result.reason, result.step], ['completed', 10]);
  const progress = events.filter((e): e is Progress => e.type === 'progress');
  assert.deepEqual(progress.map((p) => [p.step, p.loss === null ? 'null' : 'number', p.learningRate]), [
    [1, 'number', 0.005],
    [2, 'number', 0.005],
    [3, 'number', 0.005],
    [4, 'number', 0.005],
    [5, 'number', 0.005],
    [6, 'null', 0.005],
    [7, 'number', 0.0001],
    [8, 'number', 0.0001],
    [9, 'number', 0.0001],
    [10, 'number', 0.0001],
  ]);
  assert.ok(events.some((e) => e.type === 'learningRateChanged' && e.step === 6 && e.learningRate === 0.0001));
  assert.ok(events.some((e) => e.type === 'log' && /rolled back to .*testemb-4\.safetensors/.test(e.message)));
  const csv = readFileSync(join(dir, 'textual_inversion_loss.csv'), 'utf8').trim().split('\r\n');
  assert.deepEqual(csv.slice(6, 8), ['6,5,0,nan,0.005', `7,6,0,${progress[6].loss!.toFixed(7)},0.0001`]);
});

test("--csv-every N: a row only for every N-th step, as A1111's write_loss", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loop-csv-'));
  const loop = makeLoop(dir, { maxSteps: 12, saveEvery: 5, writeCsvEvery: 4 });
  await loop.run();
  const rows = readFileSync(join(dir, 'textual_inversion_loss.csv'), 'utf8').split('\r\n').slice(1, -1);
  assert.deepEqual(rows.map((r) => r.split(',')[0]), ['4', '8', '12']);
  const none = mkdtempSync(join(tmpdir(), 'loop-csv0-'));
  await makeLoop(none, { maxSteps: 3, saveEvery: 0, writeCsvEvery: 0 }).run();
  // 0 turns the log off: A1111 then writes no file at all
  assert.equal(existsSync(join(none, 'textual_inversion_loss.csv')), false);
});

test("without tag shuffle or drop-out each image keeps one template line for the whole run (A1111's dataset)", () => {
  const loop = makeLoop(mkdtempSync(join(tmpdir(), 'loop-lines-')), { shuffleTags: false, tagDropOut: 0, gradientAccumulation: 1 });
  const seen = new Map<string, Set<string>>();
  // 5 images, batches of 2: 2 batches an epoch; 8 batches are 4 epochs
  for (let b = 0; b < 8; b++) {
    for (const prompt of loop.nextBatch().prompts) {
      const caption = prompt.replace('a picture of testemb, ', '').replace(', art by testemb', '');
      seen.set(caption, (seen.get(caption) ?? new Set()).add(prompt));
    }
  }
  assert.ok(seen.size >= 4, `${seen.size} images seen`);
  for (const [caption, prompts] of seen) assert.equal(prompts.size, 1, `${caption}: ${[...prompts].join(' | ')}`);
  // with shuffling the line is drawn again each time (the default makeLoop has shuffle and drop-out on)
  const shuffled = makeLoop(mkdtempSync(join(tmpdir(), 'loop-lines2-')), { gradientAccumulation: 1 });
  const lines = new Set<string>();
  for (let b = 0; b < 8; b++) for (const prompt of shuffled.nextBatch().prompts) lines.add(prompt.startsWith('a picture of') ? 'first' : 'second');
  assert.equal(lines.size, 2);
});
