// A run cut off at a chosen moment, then started again as the messages say, against the run that
// never stopped (seeded, CPU): the loss log has each step once, stale temporary files go, the
// previews of a save's step are made, the loss history (moving average, best average, rollback
// candidates) carries over, and rollback after a resume finds the earlier saves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import type { TrainerEvent } from '../../src/protocol/trainerMessages';
import { historyByStep, runUntil, tinyRunConfig } from './tinyTrainingRun';

const root = mkdtempSync(join(tmpdir(), 'es-resume-'));
const data = join(root, 'data');
const csv = (dir: string) => readFileSync(join(dir, 'textual_inversion_loss.csv'), 'utf8');
const finalVectors = (dir: string) => [...readEmbeddingFile(join(dir, 'embeddings', 'tinyemb.safetensors')).vectors];

before(async () => {
  await writeDemoDataset(data, 4, 64, 5);
});
after(() => rmSync(root, { recursive: true, force: true }));

test('killed before its first save and started afresh (as "nothing to resume" says): every CSV row once, the same log as a run that never stopped', { timeout: 300_000 }, async () => {
  const straight = join(root, 'fresh-straight');
  await runUntil(tinyRunConfig(data, straight));
  const killed = join(root, 'fresh-killed');
  const first = await runUntil(tinyRunConfig(data, killed), { killAt: (e) => e.type === 'progress' && e.step === 3 });
  assert.ok(first.killed);
  assert.equal(csv(killed).trim().split('\n').length, 4, 'rows 1–3 were written before the kill');
  await assert.rejects(runUntil(tinyRunConfig(data, killed), { resume: true }), /nothing to resume.*start without --resume/);
  const again = await runUntil(tinyRunConfig(data, killed));
  assert.equal(again.result?.reason, 'completed');
  const steps = csv(killed).trim().split('\n').slice(1).map((row) => Number(row.split(',')[0]));
  assert.deepEqual(steps, Array.from({ length: 12 }, (_, i) => i + 1));
  assert.equal(csv(killed), csv(straight));
  assert.deepEqual(finalVectors(killed), finalVectors(straight));
});

/** A process id that is certainly not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

test('temporary files a killed writer left are removed on start and on resume; a live writer’s are kept', { timeout: 300_000 }, async () => {
  const dir = join(root, 'temps');
  const dead = await deadPid();
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  try {
    mkdirSync(join(dir, 'embeddings'), { recursive: true });
    mkdirSync(join(dir, 'images'), { recursive: true });
    // what a kill between an atomic write's write and rename leaves (atomicWrite.temporaryPath)
    const stale = [join(dir, `.run-state.safetensors.${dead}.lq2x81abc123.tmp`), join(dir, 'embeddings', `.tinyemb-4.pt.${dead}.lq2x81def456.tmp`), join(dir, 'images', `.tinyemb-4.png.${dead}.lq2x81aaaaaa.tmp`)];
    const writing = join(dir, 'embeddings', `.tinyemb-8.safetensors.${live.pid}.lq2x81bbbbbb.tmp`);
    for (const file of [...stale, writing]) writeFileSync(file, 'partial');
    const first = await runUntil(tinyRunConfig(data, dir, { maxSteps: 8 }), { killAt: (e) => e.type === 'saved' && e.kind === 'state' && e.step === 4 });
    assert.ok(first.killed);
    for (const file of stale) assert.ok(!existsSync(file), `${file} was left`);
    assert.ok(existsSync(writing), 'a live process’s temporary file is not touched');
    const planted = join(dir, `.textual_inversion_loss.csv.${dead}.lq2x81cccccc.tmp`);
    writeFileSync(planted, 'partial');
    await runUntil(tinyRunConfig(data, dir, { maxSteps: 8 }), { resume: true });
    assert.ok(!existsSync(planted), 'removed on resume too');
    const leftovers = [dir, join(dir, 'embeddings'), join(dir, 'images')].flatMap((d) => readdirSync(d).filter((n) => n.endsWith('.tmp')).map((n) => join(d, n)));
    assert.deepEqual(leftovers, [writing]);
  } finally {
    live.kill();
  }
});

const previewConfig = (out: string) => tinyRunConfig(data, out, { maxSteps: 12, saveEvery: 4, previewEvery: 4, previewSteps: 2, previewSampler: 'ddim' });
const previewEvents = (events: TrainerEvent[]) => events.filter((e): e is Extract<TrainerEvent, { type: 'preview' }> => e.type === 'preview');

test('killed while rendering the previews of a saved step: resuming renders them, identical, and the differences go on as before', { timeout: 300_000 }, async () => {
  const straight = join(root, 'previews-straight');
  const full = await runUntil(previewConfig(straight));
  const killed = join(root, 'previews-killed');
  const first = await runUntil(previewConfig(killed), { killAt: (e) => e.type === 'phase' && e.phase === 'rendering-preview' && e.detail === 'step 8' });
  assert.ok(first.killed);
  assert.ok(!readdirSync(join(killed, 'images')).some((n) => n.startsWith('tinyemb-8')), 'no step-8 preview before the resume');
  const resumed = await runUntil(previewConfig(killed), { resume: true });
  assert.equal(resumed.result?.reason, 'completed');
  const names = readdirSync(join(straight, 'images')).filter((n) => n.endsWith('.png')).sort();
  assert.deepEqual(readdirSync(join(killed, 'images')).filter((n) => n.endsWith('.png')).sort(), names);
  for (const name of names) assert.ok(readFileSync(join(killed, 'images', name)).equals(readFileSync(join(straight, 'images', name))), `${name} differs`);
  // the step-8 previews are compared with the step-4 ones taken back from their files
  const expected = previewEvents(full.events).filter((e) => e.step >= 8).map((e) => [e.step, e.prompt, e.differenceFromPrevious]);
  assert.deepEqual(previewEvents(resumed.events).map((e) => [e.step, e.prompt, e.differenceFromPrevious]), expected);
  assert.ok(expected.every(([, , d]) => d !== null));
});

test('the loss history survives a kill: moving average, best average loss and guidance equal the uninterrupted run’s', { timeout: 300_000 }, async () => {
  const config = (out: string) => tinyRunConfig(data, out, { maxSteps: 20, saveEvery: 4 });
  const straight = join(root, 'history-straight');
  const full = await runUntil(config(straight));
  const killed = join(root, 'history-killed');
  const first = await runUntil(config(killed), { killAt: (e) => e.type === 'progress' && e.step === 11 });
  const resumed = await runUntil(config(killed), { resume: true });
  assert.equal(resumed.events.find((e) => e.type === 'started' && e.startStep === 8) !== undefined, true, 'resumed from the step-8 save');
  assert.deepEqual([...historyByStep([first.events, resumed.events])], [...historyByStep([full.events])]);
  const finished = (events: TrainerEvent[]) => events.find((e): e is Extract<TrainerEvent, { type: 'finished' }> => e.type === 'finished');
  assert.equal(finished(resumed.events)?.bestLoss, finished(full.events)?.bestLoss);
  assert.ok(finished(full.events)?.bestLoss !== null);
  assert.deepEqual(finalVectors(killed), finalVectors(straight));
  assert.equal(csv(killed), csv(straight));
});

test('auto-rollback after a resume still finds the saves made before the kill', { timeout: 300_000 }, async () => {
  // 3e38 after step 12 blows the embedding up: the run rolls back to its best save and goes on at 0.005
  const config = (out: string) => tinyRunConfig(data, out, { maxSteps: 30, saveEvery: 4, learnRate: '0.005:12, 3e38', autoRollback: true });
  const straight = join(root, 'rollback-straight');
  const full = await runUntil(config(straight));
  assert.equal(full.result?.reason, 'completed');
  const rolledBack = (events: TrainerEvent[]) => events.filter((e) => e.type === 'log' && /^rolled back to /.test(e.message)).map((e) => (e as { message: string }).message);
  assert.equal(rolledBack(full.events).length, 1);
  const killed = join(root, 'rollback-killed');
  const first = await runUntil(config(killed), { killAt: (e) => e.type === 'saved' && e.kind === 'state' && e.step === 12 });
  assert.ok(first.killed);
  const resumed = await runUntil(config(killed), { resume: true });
  assert.equal(resumed.result?.reason, 'completed', JSON.stringify(resumed.events.filter((e) => e.type === 'guidance')));
  assert.deepEqual(rolledBack(resumed.events), rolledBack(full.events).map((m) => m.replace(straight, killed)));
  assert.deepEqual(finalVectors(killed), finalVectors(straight));
});
