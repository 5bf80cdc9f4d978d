// Whole runs on the fixture checkpoint: learning measured on a fixed evaluation set, stop/resume
// and kill/resume reaching the uninterrupted run's embedding bit for bit (CPU), and the outputs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/sd/checkpoint';
import { inferSd1Architecture } from '../../src/sd/architecture';
import { sd1AlphasCumprod } from '../../src/sd/noiseSchedule';
import { SeededRandom } from '../../src/sd/random';
import { ClipTokenizer } from '../../src/sd/clipTokenizer';
import { openSafetensors } from '../../src/sd/safetensors';
import { mergeRunConfig, type RunConfig } from '../../src/train/config';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { runTraining } from '../../src/train/trainingRun';
import { TiLossSession } from '../../src/train/tiLossSession';
import { encodeTrainingPrompt } from '../../src/train/trainingPrompt';
import type { TrainingBatch } from '../../src/train/trainingStep';
import { parseTrainerEvent, type TrainerEvent } from '../../src/protocol/trainerMessages';
import { timeLimits, withinTime } from '../support/timeLimits';
import { scratchFolder } from '../support/scratchFolder';

const repo = join(__dirname, '../..');
const fixtureModel = join(repo, 'test/fixtures/sd1-tiny/model.safetensors');
const vocab = join(repo, 'resources/clip/bpe_simple_vocab_16e6.txt.gz');
const root = scratchFolder('ti-run-');
const data = join(root, 'data');

function config(out: string, overrides: Partial<RunConfig> = {}): RunConfig {
  return mergeRunConfig({
    model: fixtureModel, data, name: 'tinyemb', vectors: 3, initText: 'girl', learnRate: '0.005', maxSteps: 12, width: 64, height: 64,
    saveEvery: 4, previewEvery: 0, writeCsvEvery: 1, provider: 'cpu', out, tokenizer: vocab, textHeads: 4, unetHeads: 2, seed: 3,
    template: 'subject_filewords', shuffleTags: true, tagDropOut: 0.1, latentSampling: 'random', ...overrides,
  });
}

async function train(c: RunConfig, resume = false, nextCommand?: () => ReturnType<NonNullable<Parameters<typeof runTraining>[1]['nextCommand']>>) {
  const events: TrainerEvent[] = [];
  const result = await runTraining(c, { emit: (e) => events.push(parseTrainerEvent(JSON.parse(JSON.stringify(e)))), resume, nextCommand, intraOpThreads: 1 });
  return { result, events };
}

before(async () => {
  await writeDemoDataset(data, 4, 64, 5);
});

test('a seeded run lowers the mean loss on a fixed evaluation set of (latent, timestep, noise)', async (t) => {
  const out = join(root, 'learn');
  const { result, events } = await train(config(out, { maxSteps: 80, saveEvery: 0, latentSampling: 'deterministic', shuffleTags: false, tagDropOut: 0 }));
  assert.equal(result.reason, 'completed');
  const started = events.find((e) => e.type === 'started');
  assert.ok(started && started.type === 'started' && started.provider === 'cpu');
  // evaluation set: each image's cached latent mean, 4 fixed timesteps, seeded noise, the template's first prompt
  const checkpoint = loadCheckpoint(fixtureModel);
  const architecture = inferSd1Architecture(checkpoint, { textHeads: 4, unetHeads: 2 });
  const step = await TiLossSession.create({ checkpoint, architecture, alphasCumprod: sd1AlphasCumprod(), vectors: 3, batchSize: 1, latentHeight: 8, latentWidth: 8, clipSkip: 1, emphasis: true, provider: 'cpu', cacheDir: root });
  const tokenizer = ClipTokenizer.fromBpeFile(vocab);
  const latents = openSafetensors(join(out, 'latents-64x64.safetensors'));
  const rng = new SeededRandom(1234);
  const captions = [1, 2, 3, 4].map((i) => readFileSync(join(data, `demo00${i}.txt`), 'utf8'));
  const evaluation: TrainingBatch[] = [];
  for (let image = 0; image < 4; image++) {
    for (const t of [100, 300, 500, 800]) {
      const prompt = encodeTrainingPrompt(tokenizer, `a picture of tinyemb, ${captions[image]}`, 'tinyemb', 3, true);
      const latent = latents.readFloat32(`mean.${image}`).map((v) => v * 0.18215);
      evaluation.push({ inputIds: [prompt.ids], slots: [prompt.slots], weights: [prompt.weights], latents: latent, noise: rng.fillGaussian(new Float32Array(256)), timesteps: [t] });
    }
  }
  const meanLoss = async (vectors: Float32Array) => {
    let sum = 0;
    for (const batch of evaluation) sum += (await step.run(batch, vectors)).loss;
    return sum / evaluation.length;
  };
  // the starting embedding is the init text's token rows; the final one is the saved file
  const table = checkpoint.readFloat32(`${architecture.textEncoder.prefix}embeddings.token_embedding.weight`);
  const girl = tokenizer.tokenize('girl')[0];
  const initial = new Float32Array(3 * 64);
  for (let r = 0; r < 3; r++) initial.set(table.subarray(girl * 64, girl * 64 + 64), r * 64);
  const trained = readEmbeddingFile(join(out, 'embeddings', 'tinyemb.safetensors'));
  const before = await meanLoss(initial);
  const after = await meanLoss(trained.vectors);
  t.diagnostic(`evaluation loss ${before.toFixed(5)} → ${after.toFixed(5)} after 80 steps`);
  assert.ok(after < before, `evaluation loss ${before} → ${after}`);
  await step.release();
  checkpoint.close();
  latents.close();
});

test('outputs: emb_params [vectors, width], A1111 CSV, run-config.json; a second run in the same folder is refused', async () => {
  const out = join(root, 'outputs');
  const { events } = await train(config(out, { maxSteps: 8, writePt: true }));
  const bytes = readFileSync(join(out, 'embeddings', 'tinyemb.safetensors'));
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
  assert.deepEqual(header.emb_params.shape, [3, 64]);
  assert.equal(header.__metadata__.step, '8');
  assert.equal(readEmbeddingFile(join(out, 'embeddings', 'tinyemb-4.safetensors')).step, 4);
  assert.equal(readEmbeddingFile(join(out, 'embeddings', 'tinyemb-4.pt')).step, 4);
  const csv = readFileSync(join(out, 'textual_inversion_loss.csv'), 'utf8').trim().split('\r\n');
  assert.equal(csv[0], 'step,epoch,epoch_step,loss,learn_rate');
  assert.equal(csv.length, 9);
  assert.match(csv[8], /^8,\d+,\d+,\d+\.\d{7},0\.005$/);
  assert.equal(JSON.parse(readFileSync(join(out, 'run-config.json'), 'utf8')).maxSteps, 8);
  assert.ok(events.some((e) => e.type === 'finished' && e.reason === 'completed'));
  await assert.rejects(train(config(out, { maxSteps: 8 })), /already holds a run.*--resume/);
});

test('stop at N, resume to M: the same embedding as the uninterrupted run, bit for bit (CPU)', async () => {
  const straight = join(root, 'straight');
  await train(config(straight));
  const expected = readEmbeddingFile(join(straight, 'embeddings', 'tinyemb.safetensors')).vectors;
  const split = join(root, 'split');
  let steps = 0;
  const first = await train(config(split), false, () => (steps++ === 6 ? { type: 'stop' } : undefined));
  assert.equal(first.result.reason, 'stopped');
  assert.equal(first.result.step, 6);
  const second = await train(config(split), true);
  assert.equal(second.result.step, 12);
  const started = second.events.find((e) => e.type === 'started');
  assert.ok(started && started.type === 'started' && started.startStep === 6);
  assert.deepEqual([...readEmbeddingFile(join(split, 'embeddings', 'tinyemb.safetensors')).vectors], [...expected]);
  assert.equal(readFileSync(join(split, 'textual_inversion_loss.csv'), 'utf8'), readFileSync(join(straight, 'textual_inversion_loss.csv'), 'utf8'));
});

test('killed at a random step after a save, the trainer process resumes from that save to the same embedding', async () => {
  const straight = join(root, 'straight');
  const expected = readEmbeddingFile(join(straight, 'embeddings', 'tinyemb.safetensors')).vectors;
  const killed = join(root, 'killed');
  const killAt = 5 + Math.floor(Math.random() * 6); // after the step-4 save, before the step-12 end (a save at 8 may or may not have happened)
  const configPath = join(root, 'killed-config.json');
  writeFileSync(configPath, JSON.stringify(config(killed)));
  const worker = join(repo, 'src/train/worker.ts');
  const runWorker = (args: string[], onEvent: (e: TrainerEvent, child: ReturnType<typeof spawn>) => void) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, '--config', configPath, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
    const exited = new Promise<number | null>((resolve) => {
      let buffer = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          onEvent(parseTrainerEvent(JSON.parse(line)), child);
        }
      });
      child.on('exit', (code, signal) => resolve(signal ? null : code));
    });
    return withinTime(exited, timeLimits.command, `the trainer process ${args.join(' ') || '(first run)'} to exit`).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
  };
  const code = await runWorker([], (e, child) => {
    if (e.type === 'progress' && e.step === killAt) child.kill('SIGKILL');
  });
  assert.equal(code, null, 'the first trainer process was killed');
  assert.ok(!existsSync(join(killed, 'embeddings', 'tinyemb.safetensors')));
  let startStep = -1;
  const resumed = await runWorker(['--resume'], (e) => {
    if (e.type === 'started') startStep = e.startStep;
  });
  assert.equal(resumed, 0);
  // progress N is reported before N's save, so a kill right at step 8 may land before or after that save
  if (killAt > 8) assert.equal(startStep, 8);
  else if (killAt < 8) assert.equal(startStep, 4);
  else assert.ok(startStep === 4 || startStep === 8, `resumed from ${startStep}`);
  assert.deepEqual([...readEmbeddingFile(join(killed, 'embeddings', 'tinyemb.safetensors')).vectors], [...expected]);
});

test('continuing an existing embedding starts from its stored step and never overwrites it', async () => {
  const source = join(root, 'outputs', 'embeddings', 'tinyemb-4.safetensors');
  const before = readFileSync(source);
  const out = join(root, 'continued');
  const { result, events } = await train(config(out, { initEmbedding: source, maxSteps: 7 }));
  const started = events.find((e) => e.type === 'started');
  assert.ok(started && started.type === 'started' && started.startStep === 4);
  assert.equal(result.step, 7);
  assert.equal(readEmbeddingFile(join(out, 'embeddings', 'tinyemb.safetensors')).step, 7);
  assert.deepEqual(readFileSync(source), before);
  await assert.rejects(train(config(join(root, 'outputs'), { initEmbedding: join(root, 'outputs', 'embeddings', 'tinyemb.safetensors'), maxSteps: 20 }), true), /never overwritten/);
});

test('BREAK in the template and the previews: two-chunk graphs for training and previews, and the preview PNG carries the embedding', async () => {
  const out = join(root, 'chunks');
  const template = join(root, 'break-template.txt');
  writeFileSync(template, 'a picture of [name] BREAK [filewords]\n');
  const { result, events } = await train(config(out, { maxSteps: 2, saveEvery: 2, previewEvery: 2, previewSteps: 2, template, previewPrompts: ['tinyemb BREAK red hair', 'tinyemb'], shuffleTags: false, tagDropOut: 0 }));
  assert.equal(result.reason, 'completed');
  assert.ok(events.some((e) => e.type === 'log' && /a prompt of 2 chunks of 75 tokens .* 154-token context/.test(e.message)));
  const previews = events.filter((e) => e.type === 'preview');
  assert.equal(previews.length, 2);
  for (const preview of previews) {
    if (preview.type !== 'preview') continue;
    const fromPng = readEmbeddingFile(preview.path);
    assert.deepEqual([...fromPng.vectors], [...readEmbeddingFile(join(out, 'embeddings', 'tinyemb.safetensors')).vectors]);
    assert.equal(fromPng.step, 2);
  }
});
