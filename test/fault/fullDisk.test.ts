// The fault suite, a full disk: a run whose folder is on a 2 MB tmpfs that fills up after its
// first save ends with "could not write <file>: ENOSPC" (exit 1), keeps its last save whole and
// leaves no temporary file; with space again it resumes from that save to the end. Mounting
// needs root (and a kernel that allows it here): otherwise the test says so and is skipped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { readRunState } from '../../src/train/runState';
import { tinyRunConfig } from '../train/tinyTrainingRun';
import { startWorker, workerBundleMissing } from './trainerProcesses';

const root = mkdtempSync(join(tmpdir(), 'es-fault-disk-'));
const mountPoint = join(root, 'disk');
mkdirSync(mountPoint);
const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]).status === 0;
const skip = workerBundleMissing || (!mounted && 'cannot mount a 2 MB tmpfs here (needs root and a kernel that allows it): the full-disk case is not run');

before(async () => {
  await writeDemoDataset(join(root, 'data'), 3, 64, 3);
});
after(() => {
  if (mounted) spawnSync('umount', [mountPoint]);
  rmSync(root, { recursive: true, force: true });
});

/** Writes zeros until the disk is full; returns the file to delete for space again. */
function fillDisk(dir: string): string {
  const filler = join(dir, 'filler.bin');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  return filler;
}

test('a disk that fills up mid-run: "could not write …: ENOSPC", the last save kept whole, nothing temporary left; it resumes', { skip, timeout: 10 * 60_000 }, async () => {
  const dir = join(mountPoint, 'run');
  mkdirSync(dir);
  const configPath = join(root, 'run-config.json');
  // a tiny run's folder (latents, graphs, saves) takes a few dozen KB: the 2 MB fill up only on purpose
  writeFileSync(configPath, JSON.stringify(tinyRunConfig(join(root, 'data'), dir, { maxSteps: 60, saveEvery: 2, writeCsvEvery: 1 })));
  const first = startWorker(configPath, false);
  const saved = await first.waitFor((e) => e.type === 'saved' && e.kind === 'state');
  const filler = fillDisk(mountPoint);
  const exit = await first.exited;
  assert.equal(exit.code, 1, first.stderr());
  const error = first.events.find((e) => e.type === 'error');
  assert.ok(error && error.type === 'error', JSON.stringify(first.events.slice(-3)));
  assert.match(error.message, /could not write .*: ENOSPC/);
  const state = readRunState(join(dir, 'run-state.safetensors'));
  assert.ok(state.step >= (saved as { step: number }).step, `the last save (step ${state.step}) reads back whole`);
  const files = readdirSync(dir, { recursive: true }) as string[];
  assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  rmSync(filler);
  const resumed = startWorker(join(dir, 'run-config.json'), true);
  const done = await resumed.exited;
  assert.equal(done.code, 0, resumed.stderr());
  assert.ok(resumed.events.some((e) => e.type === 'started' && e.startStep === state.step));
  assert.equal(readEmbeddingFile(join(dir, 'embeddings', 'tinyemb.safetensors')).step, 60);
});
