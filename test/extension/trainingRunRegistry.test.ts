// The editor's trainer wiring against the REAL trainer (dist/trainer.js, built by `npm test`) on
// the fixture checkpoint: start, progress, pause/resume, a live learning-rate change (event and
// loss CSV), stop (finished, embedding written), one run per dataset, and resume after SIGKILL
// from the last save. Through TrainerProcess + RunRegistry, the same code the extension runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeRunConfig, type RunConfig } from '../../src/train/config';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { withinTime } from '../support/timeLimits';
import { openSafetensors } from '../../src/sd/safetensors';
import type { TrainerEvent } from '../../src/protocol/trainerMessages';
import { RunAlreadyActive, RunConfigRejected, RunRegistry, logTail, runStateFileName, type TrainingRun } from '../../src/extension/training/runRegistry';
import { runStateFileName as trainerRunStateFileName } from '../../src/train/runState';

const repo = join(__dirname, '../..');
const workerPath = join(repo, 'dist/trainer.js');
const fixtureModel = join(repo, 'test/fixtures/sd1-tiny/model.safetensors');
const root = mkdtempSync(join(tmpdir(), 'es-registry-'));
const data = join(root, 'data');
const registry = new RunRegistry({ workerPath });

function config(out: string, overrides: Partial<RunConfig> = {}): RunConfig {
  return mergeRunConfig({
    model: fixtureModel, data, name: 'wired', vectors: 2, initText: 'girl', learnRate: '0.005', maxSteps: 100000, width: 64, height: 64,
    saveEvery: 5, previewEvery: 0, writeCsvEvery: 1, provider: 'cpu', out, tokenizer: '', textHeads: 4, unetHeads: 2, seed: 7,
    template: 'subject_filewords', ...overrides,
  });
}

/** How long one trainer event may take to come (a few tiny steps, or the graph build at the start). */
const eventTimeLimit = 2 * 60_000;

/**
 * The first event (already received or still to come) that matches; rejects if the process exits
 * first, or after eventTimeLimit, saying which event it waited for and what came instead.
 */
function waitForEvent<T extends TrainerEvent>(run: TrainingRun, match: (e: TrainerEvent) => e is T, from?: number): Promise<T>;
function waitForEvent(run: TrainingRun, match: (e: TrainerEvent) => boolean, from?: number): Promise<TrainerEvent>;
function waitForEvent(run: TrainingRun, match: (e: TrainerEvent) => boolean, from = 0): Promise<TrainerEvent> {
  const seen = run.events.slice(from).find(match);
  if (seen) return Promise.resolve(seen);
  let cleanup = () => {};
  const awaited = new Promise<TrainerEvent>((resolve, reject) => {
    const onEvent = (event: TrainerEvent) => {
      if (!match(event)) return;
      cleanup();
      resolve(event);
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`the trainer exited before the awaited event; log:\n${logTail(run.process.logPath)}`));
    };
    cleanup = () => {
      run.off('event', onEvent);
      run.off('exit', onExit);
    };
    run.on('event', onEvent);
    run.on('exit', onExit);
  });
  const described = (match as { description?: string }).description ?? match.toString().replace(/\s+/g, ' ').slice(0, 200);
  return withinTime(awaited, eventTimeLimit, `the trainer event ${described}`, () =>
    `events after #${from}: ${run.events.slice(from).map((e) => e.type).join(', ') || 'none'}\nlog:\n${logTail(run.process.logPath)}`,
  ).finally(() => cleanup());
}

const isType = <K extends TrainerEvent['type']>(type: K, also?: (e: Extract<TrainerEvent, { type: K }>) => boolean) =>
  Object.assign((e: TrainerEvent): e is Extract<TrainerEvent, { type: K }> => e.type === type && (also?.(e as Extract<TrainerEvent, { type: K }>) ?? true), {
    description: `'${type}'${also ? ` with ${also.toString().replace(/\s+/g, ' ')}` : ''}`,
  });

before(async () => {
  assert.ok(existsSync(workerPath), `${workerPath} is missing: run \`npm run build\` first`);
  await writeDemoDataset(data, 3, 64, 11);
});

after(async () => {
  registry.killAll();
  rmSync(root, { recursive: true, force: true });
});

test('a configuration with errors is refused before any process starts, naming each problem', () => {
  assert.throws(
    () => registry.start({ ...config(join(root, 'bad')), model: join(root, 'nope.safetensors'), learnRate: '0.005:abc', vectors: 99 }),
    (error: unknown) => {
      assert.ok(error instanceof RunConfigRejected);
      const fields = error.problems.filter((p) => p.severity === 'error').map((p) => p.field).sort();
      assert.deepEqual(fields, ['learnRate', 'model', 'vectors']);
      assert.match(error.message, /nope\.safetensors does not exist/);
      return true;
    },
  );
  assert.equal(registry.all().length, 0);
});

test('start, progress, pause/resume, change the learning rate, stop: through the real trainer process', async () => {
  const out = join(root, 'run-a');
  const run = registry.start(config(out));
  assert.throws(() => registry.start(config(join(root, 'run-b'))), RunAlreadyActive, 'a second run on the same dataset is refused');

  const started = await waitForEvent(run, isType('started'));
  assert.equal(started.provider, 'cpu');
  assert.equal(started.startStep, 0);
  // no tokenizer setting: the bundled trainer finds the vocabulary shipped beside dist/
  const tokenizerLog = run.events.find((e) => e.type === 'log' && e.message.startsWith('CLIP tokenizer: '));
  assert.equal(tokenizerLog?.type === 'log' && tokenizerLog.message, `CLIP tokenizer: ${join(repo, 'resources', 'clip', 'bpe_simple_vocab_16e6.txt.gz')} (shipped with Embedding Studio)`);
  await waitForEvent(run, isType('progress', (e) => e.step >= 3));
  assert.equal(run.snapshot.status, 'training');
  assert.ok(run.snapshot.step >= 3 && run.snapshot.loss !== null && Number.isFinite(run.snapshot.loss));

  // pause: the trainer says where it stopped, and the next step after resuming is the one after it
  run.send({ type: 'pause' });
  const paused = await waitForEvent(run, isType('paused'));
  assert.equal(run.snapshot.status, 'paused');
  const afterPause = run.events.length;
  run.send({ type: 'resume' });
  const resumed = await waitForEvent(run, isType('resumed'), afterPause);
  assert.equal(resumed.step, paused.step);
  const firstAfter = await waitForEvent(run, isType('progress'), afterPause);
  assert.equal(firstAfter.step, paused.step + 1);
  assert.equal(run.events.slice(afterPause).findIndex((e) => e.type === 'progress') > run.events.slice(afterPause).findIndex((e) => e.type === 'resumed'), true);

  // a live learning-rate change: the event, then progress and the A1111 CSV at the new rate
  const beforeChange = run.events.length;
  run.send({ type: 'setLearningRate', schedule: '0.00123' });
  const changed = await waitForEvent(run, isType('learningRateChanged'), beforeChange);
  assert.equal(changed.learningRate, 0.00123);
  assert.equal(changed.schedule, '0.00123');
  const atNewRate = await waitForEvent(run, isType('progress', (e) => e.step > changed.step + 1), beforeChange);
  assert.equal(atNewRate.learningRate, 0.00123);

  const beforeStop = run.events.length;
  run.send({ type: 'stop' });
  const finished = await waitForEvent(run, isType('finished'), beforeStop);
  const exit = await run.exited();
  assert.equal(exit.kind, 'finished');
  assert.equal(finished.reason, 'stopped');
  assert.equal(run.snapshot.status, 'stopped');
  assert.equal(registry.forDataset(data), undefined, 'a stopped run no longer holds the dataset');

  // the embedding written at the stop: emb_params [vectors, width] with the step it was stopped at
  assert.ok(finished.embeddingPath && existsSync(finished.embeddingPath), `embedding ${finished.embeddingPath}`);
  const file = openSafetensors(finished.embeddingPath!);
  assert.deepEqual(file.tensors.get('emb_params')?.shape, [2, 64]);
  file.close();

  const csv = readFileSync(join(out, 'textual_inversion_loss.csv'), 'utf8').trim().split('\r\n');
  assert.equal(csv[0], 'step,epoch,epoch_step,loss,learn_rate');
  const rates = new Map(csv.slice(1).map((line) => line.split(',')).map((cells) => [Number(cells[0]), Number(cells[4])]));
  assert.equal(rates.get(1), 0.005);
  assert.equal(rates.get(changed.step), 0.005, 'the step before the change ran at the old rate');
  assert.equal(rates.get(changed.step + 1), 0.00123, 'the step after the change runs at the new rate');
  assert.equal(rates.get(finished.step), 0.00123);
});

test('killed before its first save and started again, as the extension offers: each loss-log row once', async () => {
  const out = join(root, 'run-killed-early');
  const first = registry.start(config(out, { maxSteps: 8, saveEvery: 6 }));
  await waitForEvent(first, isType('progress', (e) => e.step === 3));
  first.process.kill();
  assert.equal((await first.exited()).kind, 'crashed');
  assert.ok(!existsSync(join(out, runStateFileName)), 'nothing to resume');
  const again = registry.start(config(out, { maxSteps: 8, saveEvery: 6 }));
  const exit = await again.exited();
  assert.equal(exit.kind, 'finished', exit.kind === 'crashed' ? logTail(exit.logPath) : '');
  const steps = readFileSync(join(out, 'textual_inversion_loss.csv'), 'utf8').trim().split('\n').slice(1).map((row) => Number(row.split(',')[0]));
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('resume after SIGKILL continues from the last saved state', async () => {
  const out = join(root, 'run-killed');
  const run = registry.start(config(out, { saveEvery: 4 }));
  const savedState = await waitForEvent(run, isType('saved', (e) => e.kind === 'state' && e.step >= 8));
  run.process.kill();
  const killed = await run.exited();
  assert.equal(killed.kind, 'crashed');
  assert.equal(killed.kind === 'crashed' && killed.signal, 'SIGKILL');
  assert.equal(run.snapshot.status, 'crashed');
  assert.ok(existsSync(join(out, 'trainer.log')));
  const lastSave = Math.max(...run.events.filter(isType('saved', (e) => e.kind === 'state')).map((e) => e.step));
  assert.ok(lastSave >= savedState.step);

  assert.throws(() => registry.start(config(out)), /already holds a run/, 'a new start must not overwrite a resumable run');
  const resumed = registry.resume(out);
  const started = await waitForEvent(resumed, isType('started'));
  assert.equal(started.startStep, lastSave, 'the resumed run starts at the last save');
  const progress = await waitForEvent(resumed, isType('progress'));
  assert.equal(progress.step, lastSave + 1);
  // what deactivation does: every running trainer is asked to stop (it saves), and exits
  await registry.stopAll();
  assert.equal(registry.active().length, 0);
  assert.equal(resumed.snapshot.status, 'stopped');
  const exit = await resumed.exited();
  assert.equal(exit.kind === 'finished' && exit.event.reason, 'stopped');
  const csvSteps = readFileSync(join(out, 'textual_inversion_loss.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
  assert.ok(csvSteps.includes(lastSave + 1));
});

test("the registry's name for the resumable state file is the trainer's", () => {
  assert.equal(runStateFileName, trainerRunStateFileName);
});

test('a trainer that fails reports a crash with its error and a log; the dataset is free again', async () => {
  const damaged = join(root, 'damaged.safetensors');
  writeFileSync(damaged, 'this is not a checkpoint');
  const run = registry.start(config(join(root, 'run-damaged'), { model: damaged }));
  const exit = await run.exited();
  assert.equal(exit.kind, 'crashed');
  assert.equal(run.snapshot.status, 'crashed');
  assert.ok(exit.kind === 'crashed' && exit.lastError?.includes('damaged.safetensors'), `the error names the file: ${exit.kind === 'crashed' ? exit.lastError : ''}`);
  assert.equal(exit.kind === 'crashed' && exit.code, 1);
  assert.ok(existsSync(join(root, 'run-damaged', 'trainer.log')));
  assert.equal(registry.forDataset(data), undefined);
});
