// The extension host killed (kill -9) while its trainer trains: the orphaned trainer must not
// die of its closed IPC channel and pipes (it used to, with an unhandled 'write EPIPE', leaving no
// embedding and no log). It stops after the step, saves the embedding and the run state, writes
// its last events into trainer.log, and exits; the run then resumes to the same embedding as a
// run nobody interrupted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { readRunState } from '../../src/train/runState';
import { processEnded, startUnderHost, startWorker, workerBundleMissing } from '../fault/trainerProcesses';
import { tinyRunConfig } from '../train/tinyTrainingRun';

const root = mkdtempSync(join(tmpdir(), 'es-host-death-'));
const data = join(root, 'data');
before(async () => {
  await writeDemoDataset(data, 3, 64, 6);
});
after(() => rmSync(root, { recursive: true, force: true }));

function runFolder(name: string): { dir: string; configPath: string } {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'run-config.json');
  writeFileSync(configPath, JSON.stringify(tinyRunConfig(data, dir, { maxSteps: 40, saveEvery: 20 })));
  return { dir, configPath };
}

test('host killed at step 10: the trainer stops cleanly, saves, logs, and the run resumes to the uninterrupted embedding', { skip: workerBundleMissing, timeout: 10 * 60_000 }, async () => {
  const straight = runFolder('straight');
  const reference = startWorker(straight.configPath, false);
  assert.equal((await reference.exited).code, 0, reference.stderr());

  const run = runFolder('host-killed');
  const hosted = startUnderHost(run.configPath, false);
  const trainerPid = await hosted.trainerPid;
  await hosted.waitFor((e) => e.type === 'progress' && e.step === 10);
  hosted.child.kill('SIGKILL');
  await hosted.exited;
  await processEnded(trainerPid, 120_000);

  const log = readFileSync(join(run.dir, 'trainer.log'), 'utf8');
  assert.match(log, /\[trainer\] the extension host went away .*: stopping after the current step and saving/);
  const finished = log.split('\n').map((line) => /\{"type":"finished".*\}$/.exec(line)?.[0]).find(Boolean);
  assert.ok(finished, `no finished event in trainer.log:\n${log}`);
  const event = JSON.parse(finished!);
  assert.equal(event.reason, 'stopped');
  assert.ok(event.step >= 10, `stopped at ${event.step}`);
  assert.doesNotMatch(log, /Unhandled 'error' event|^\s+at /m, 'no crash, no stack trace');
  assert.equal(readEmbeddingFile(join(run.dir, 'embeddings', 'tinyemb.safetensors')).step, event.step);
  assert.equal(readRunState(join(run.dir, 'run-state.safetensors')).step, event.step);

  const resumed = startWorker(run.configPath, true);
  assert.equal((await resumed.exited).code, 0, resumed.stderr());
  assert.ok(resumed.events.some((e) => e.type === 'started' && e.startStep === event.step));
  assert.deepEqual([...readEmbeddingFile(join(run.dir, 'embeddings', 'tinyemb.safetensors')).vectors], [...readEmbeddingFile(join(straight.dir, 'embeddings', 'tinyemb.safetensors')).vectors]);
  assert.equal(readFileSync(join(run.dir, 'textual_inversion_loss.csv'), 'utf8'), readFileSync(join(straight.dir, 'textual_inversion_loss.csv'), 'utf8'));
  assert.ok(!existsSync(join(run.dir, 'embeddings', 'tinyemb-20.safetensors.tmp')));
});
