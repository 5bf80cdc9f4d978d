// The fault suite, kills: one training run killed with SIGKILL again and again at seeded random
// moments — at a step, during a save, while rendering previews, and by killing the extension
// host it runs under — and started again each time as a user would (resumed from its folder, or
// afresh when nothing was saved yet). After every kill: no torn file (every file of the run
// folder reads back whole), each loss-log row once. After every restart: no temporary file of a
// dead writer. At the end, against the same run never interrupted: the final embedding and every
// periodic save byte-identical, the loss log identical, every preview present and identical, the
// loss history (each step's loss and moving average, the best average loss, the guidance) equal,
// and no temporary file left.
//   EMBEDDING_STUDIO_FAULT_KILLS (default 20) kills per run; EMBEDDING_STUDIO_FAULT_SEED (default
//   16) picks them; the seed and every kill are printed as test diagnostics.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { temporaryFileWriter } from '../../src/dataset/atomicWrite';
import { parseTrainerEvent, type TrainerEvent } from '../../src/protocol/trainerMessages';
import { SeededRandom } from '../../src/sd/random';
import { openSafetensors } from '../../src/sd/safetensors';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { lossLogHeader } from '../../src/train/lossLog';
import { runStateFileName } from '../../src/train/runState';
import { tinyRunConfig } from '../train/tinyTrainingRun';
import { isRunning, processEnded, startUnderHost, startWorker, workerBundleMissing, type TrainerProcessRun } from './trainerProcesses';

const kills = Number(process.env.EMBEDDING_STUDIO_FAULT_KILLS ?? 20);
const seed = Number(process.env.EMBEDDING_STUDIO_FAULT_SEED ?? 16);
const root = mkdtempSync(join(tmpdir(), 'es-fault-kills-'));
const data = join(root, 'data');
// long enough that every kill lands before the end (a kill costs at most a save interval)
const maxSteps = 3 * kills + 12;
const saveEvery = 3;
const previewEvery = 6;

before(async () => {
  await writeDemoDataset(data, 4, 64, 12);
});
after(() => rmSync(root, { recursive: true, force: true }));

function runFolder(name: string): { dir: string; configPath: string } {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'run-config.json');
  const config = tinyRunConfig(data, dir, { maxSteps, saveEvery, previewEvery, previewSteps: 2, previewSampler: 'ddim', writeCsvEvery: 1, writePt: true });
  writeFileSync(configPath, JSON.stringify(config));
  return { dir, configPath };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? (name === '.onnx-cache' ? [] : filesUnder(path)) : [path];
  });
}

const isTemporary = (path: string) => temporaryFileWriter(path.split('/').pop()!) !== undefined;

/** Every file of the run folder reads back whole (temporary files are allowed to be torn: that is their job). */
async function assertNothingTorn(dir: string, when: string): Promise<void> {
  for (const path of filesUnder(dir)) {
    if (isTemporary(path)) continue;
    const name = relative(dir, path);
    try {
      if (path.endsWith('.safetensors')) {
        const file = openSafetensors(path);
        try {
          for (const tensor of file.tensors.values()) assert.equal(file.readRaw(tensor.name).length, tensor.byteLength);
        } finally {
          file.close();
        }
      } else if (path.endsWith('.pt')) readEmbeddingFile(path);
      else if (path.endsWith('.png')) await sharp(path, { failOn: 'warning' }).raw().toBuffer();
      else if (path.endsWith('.json')) JSON.parse(readFileSync(path, 'utf8'));
      else if (path.endsWith('.csv')) {
        // A1111's csv module ends rows with CR LF
        const text = readFileSync(path, 'utf8');
        assert.ok(text.endsWith('\r\n'), 'ends with a whole row');
        const [header, ...rows] = text.slice(0, -2).split('\r\n');
        assert.equal(header, lossLogHeader);
        for (const row of rows) assert.match(row, /^\d+,\d+,\d+,(\d+\.\d{7}|nan|inf|-inf),[0-9.e+-]+$/);
        const steps = rows.map((r) => Number(r.split(',')[0]));
        assert.deepEqual(steps, steps.map((_, i) => i + 1), 'each step once, in order');
      }
    } catch (error) {
      throw new Error(`${when}: ${name} is torn or wrong: ${(error as Error).message}`);
    }
  }
}

/** Temporary files whose writer is not `livePid` (a dead writer's leftovers). */
function staleTemporaries(dir: string, livePid?: number): string[] {
  return filesUnder(dir).filter((p) => isTemporary(p) && temporaryFileWriter(p.split('/').pop()!) !== livePid);
}

type KillMode = 'step' | 'save' | 'preview' | 'host';

test(`${kills} seeded random kills (seed ${seed}) in one run: nothing torn, duplicated, stale or lost; the same run as never interrupted`, { skip: workerBundleMissing, timeout: 30 * 60_000 }, async (t) => {
  const reference = runFolder('uninterrupted');
  const straight = startWorker(reference.configPath, false);
  assert.equal((await straight.exited).code, 0, straight.stderr());

  const run = runFolder('killed');
  const random = new SeededRandom(seed);
  const chain: TrainerEvent[][] = [];
  const tally: Record<KillMode, number> = { step: 0, save: 0, preview: 0, host: 0 };
  let done = 0;
  let processes = 0;
  /** Steps whose progress events died with a killed host (see below). */
  const unobservable = new Set<number>();
  for (;;) {
    processes++;
    const resume = statSafe(join(run.dir, runStateFileName));
    let mode: KillMode | undefined = done < kills ? (['step', 'save', 'preview', 'host'] as const)[Math.floor(random.nextFloat() * 4)] : undefined;
    const logPath = join(run.dir, 'trainer.log');
    const logStart = statSafe(logPath) ? statSync(logPath).size : 0;
    const trainer: TrainerProcessRun = mode === 'host' ? startUnderHost(run.configPath, resume) : startWorker(run.configPath, resume);
    chain.push(trainer.events);
    const pid = await trainer.trainerPid;
    const started = (await trainer.waitFor((e) => e.type === 'started' || e.type === 'error')) as Extract<TrainerEvent, { type: 'started' }>;
    assert.equal(started.type, 'started', trainer.stderr());
    // the restart removed every temporary file a killed writer left
    assert.deepEqual(staleTemporaries(run.dir, pid), [], `after restart ${processes}`);
    if (!mode) {
      const exit = await trainer.exited;
      assert.equal(exit.code, 0, trainer.stderr());
      break;
    }
    const from = started.startStep;
    const nextMultiple = (every: number) => Math.ceil((from + 1) / every) * every;
    // the next save or preview step, or a step in the next few; never the last (the run would end)
    let target = mode === 'save' ? nextMultiple(saveEvery) : mode === 'preview' ? nextMultiple(previewEvery) : from + 1 + Math.floor(random.nextFloat() * 4);
    if (target >= maxSteps) {
      if (mode !== 'host') mode = 'step';
      target = from + 1;
    }
    const delay = mode === 'save' ? random.nextFloat() * 8 : mode === 'preview' ? random.nextFloat() * 40 : 0;
    const trigger = (e: TrainerEvent) =>
      mode === 'preview' ? e.type === 'phase' && e.phase === 'rendering-preview' && e.detail === `step ${target}` : e.type === 'progress' && e.step === target;
    assert.ok(target < maxSteps, `the run is too short for ${kills} kills`);
    await trainer.waitFor(trigger);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    trainer.child.kill('SIGKILL');
    await trainer.exited;
    // the host's death leaves the trainer running: it must stop, save and exit by itself
    if (mode === 'host') {
      await processEnded(pid, 120_000);
      // what the orphan said after its host died went to trainer.log, one event per line
      const said = readFileSync(logPath).subarray(logStart).toString('utf8');
      const orphaned = said.split('\n').flatMap((line) => {
        const json = /^\S+ (\{.*\})$/.exec(line)?.[1];
        return json ? [parseTrainerEvent(JSON.parse(json))] : [];
      });
      // stopped after its step (or, at the last step, completed), saved and said so
      const ended = orphaned.find((e): e is Extract<TrainerEvent, { type: 'finished' }> => e.type === 'finished');
      assert.ok(ended && (ended.reason === 'stopped' || ended.reason === 'completed'), `the orphaned trainer ended cleanly:\n${said}`);
      // events already on their way to the host when it died are lost with it (the log and the
      // run state have those steps): they cannot be compared, and only these may be missing
      const seen = new Set([...trainer.events, ...orphaned].flatMap((e) => (e.type === 'progress' ? [e.step] : [])));
      for (let step = target + 1; step <= ended.step; step++) if (!seen.has(step)) unobservable.add(step);
      trainer.events.push(...orphaned);
    } else assert.ok(!isRunning(pid));
    done++;
    tally[mode]++;
    t.diagnostic(`kill ${done}: ${mode === 'host' ? 'host died' : `trainer killed at ${mode}`} ${target}${delay ? ` +${delay.toFixed(1)} ms` : ''} (run from step ${from})`);
    await assertNothingTorn(run.dir, `after kill ${done} (${mode} ${target})`);
  }
  t.diagnostic(`${done} kills (${tally.step} at a step, ${tally.save} in a save, ${tally.preview} in previews, ${tally.host} host deaths) over ${processes} trainer processes`);
  assert.equal(done, kills, `only ${done} of ${kills} kills landed`);

  // the end: what the uninterrupted run has, file for file
  await assertNothingTorn(run.dir, 'at the end');
  assert.deepEqual(staleTemporaries(run.dir), [], 'no temporary file left');
  const outputs = (dir: string) => filesUnder(dir).map((p) => relative(dir, p)).filter((p) => /^(embeddings|images)\/|\.csv$/.test(p)).sort();
  assert.deepEqual(outputs(run.dir), outputs(reference.dir), 'the same embeddings, previews and log');
  for (const file of outputs(reference.dir)) assert.ok(readFileSync(join(run.dir, file)).equals(readFileSync(join(reference.dir, file))), `${file} differs from the uninterrupted run's`);
  const previews = outputs(reference.dir).filter((p) => p.startsWith('images/'));
  assert.equal(previews.length, (maxSteps / previewEvery) * 2, 'two prompts per preview step');

  // the history: each step's figures as last reported (a resumed run repeats steps since its save)
  const progress = (runs: TrainerEvent[][]) => {
    const byStep = new Map<number, [number | null, number | null]>();
    for (const events of runs) for (const e of events) if (e.type === 'progress') byStep.set(e.step, [e.loss, e.lossAverage]);
    return [...byStep].sort((a, b) => a[0] - b[0]);
  };
  const observable = (history: ReturnType<typeof progress>) => history.filter(([step]) => !unobservable.has(step));
  assert.deepEqual(observable(progress(chain)), observable(progress([straight.events])));
  assert.equal(progress(chain).length, maxSteps - unobservable.size, 'every other step was reported');
  t.diagnostic(`history compared at ${maxSteps - unobservable.size} of ${maxSteps} steps (${unobservable.size} reported only to a host that had died)`);
  const finished = (events: TrainerEvent[]) => events.find((e): e is Extract<TrainerEvent, { type: 'finished' }> => e.type === 'finished');
  assert.equal(finished(chain.at(-1)!)?.bestLoss, finished(straight.events)?.bestLoss);
  const guidance = (runs: TrainerEvent[][]) => [...new Set(runs.flat().filter((e) => e.type === 'guidance').map((e) => JSON.stringify([(e as { kind: string }).kind, (e as { step: number }).step])))].sort();
  assert.deepEqual(guidance(chain), guidance([straight.events]));
});

function statSafe(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
