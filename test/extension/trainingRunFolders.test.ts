// Run folders as the Runs view reads them, the remembered run configuration per dataset, and
// copying an embedding to an A1111/ComfyUI folder — on hand-written folders and files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listRunFolders, newRunFolder, runsFolderOf, summariseRunFolder } from '../../src/extension/training/runFolders';
import { lastRunConfig, rememberRunConfig } from '../../src/extension/training/lastRunConfig';
import { copyEmbeddingToFolder, EmbeddingCopyError } from '../../src/extension/training/embeddingCopy';
import { mergeRunConfig } from '../../src/train/config';
import { scratchFolder } from '../support/scratchFolder';

const root = scratchFolder('es-runfolders-');

function writeRun(dir: string, name: string, csv: string | null, embeddings: string[], state: boolean): void {
  mkdirSync(join(dir, 'embeddings'), { recursive: true });
  writeFileSync(join(dir, 'run-config.json'), JSON.stringify({ name, data: join(root, 'data'), model: '/m.safetensors', maxSteps: 300 }));
  if (csv !== null) writeFileSync(join(dir, 'textual_inversion_loss.csv'), csv);
  for (const e of embeddings) writeFileSync(join(dir, 'embeddings', e), 'x');
  if (state) writeFileSync(join(dir, 'run-state.safetensors'), 'x');
}

test('a run folder summary: status, last step, lowest loss, embeddings in step order', () => {
  const dir = join(root, 'summary');
  writeRun(dir, 'aqua', 'step,epoch,epoch_step,loss,learn_rate\n1,0,0,0.31,0.005\n2,0,1,0.12,0.005\n3,0,2,0.2,0.005\n', ['aqua-100.safetensors', 'aqua-20.safetensors', 'aqua.safetensors', 'aqua-5.safetensors'], true);
  const s = summariseRunFolder(dir)!;
  assert.equal(s.name, 'aqua');
  assert.equal(s.status, 'stopped', 'the final embedding was written before max steps: stopped early');
  assert.equal(s.resumable, true);
  assert.equal(s.lastStep, 3);
  assert.equal(s.lowestLoss, 0.12);
  assert.equal(s.maxSteps, 300);
  assert.deepEqual(s.embeddings.map((p) => p.slice(dir.length + 12)), ['aqua-5.safetensors', 'aqua-20.safetensors', 'aqua-100.safetensors', 'aqua.safetensors']);
  assert.equal(s.problem, null);
});

test('resumable and incomplete runs; a damaged loss log is reported, not thrown; folders without a config are skipped', () => {
  const runs = join(root, 'list');
  writeRun(join(runs, 'a'), 'a', 'step,epoch,epoch_step,loss,learn_rate\n1,0,0,0.5,0.005\n', ['a-1.safetensors'], true);
  writeRun(join(runs, 'b'), 'b', 'step,loss\n1,0.5\n', [], false);
  mkdirSync(join(runs, 'not-a-run'));
  const list = listRunFolders(runs);
  assert.deepEqual(list.map((r) => r.name).sort(), ['a', 'b']);
  assert.equal(summariseRunFolder(join(runs, 'not-a-run')), null);
  const a = list.find((r) => r.name === 'a')!;
  const b = list.find((r) => r.name === 'b')!;
  assert.equal(a.status, 'interrupted');
  assert.equal(a.resumable, true);
  assert.equal(b.status, 'incomplete');
  assert.equal(b.resumable, false);
  // a run that reached max steps is completed, and not resumable even with its state file
  writeRun(join(runs, 'c'), 'c', `step,epoch,epoch_step,loss,learn_rate\n299,0,0,0.5,0.005\n300,0,0,0.4,0.005\n`, ['c.safetensors'], true);
  const c = summariseRunFolder(join(runs, 'c'))!;
  assert.equal(c.status, 'completed');
  assert.equal(c.resumable, false);
  assert.match(b.problem!, /textual_inversion_loss\.csv:1: expected the header/);
  assert.deepEqual(listRunFolders(join(root, 'missing')), []);
});

test('new run folders go in the dataset settings folder and never reuse an existing one', () => {
  const data = join(root, 'ds');
  assert.equal(runsFolderOf(data), join(data, '.embedding-studio', 'runs'));
  assert.equal(newRunFolder(data, 'yui'), join(data, '.embedding-studio', 'runs', 'yui'));
  mkdirSync(join(data, '.embedding-studio', 'runs', 'yui'), { recursive: true });
  mkdirSync(join(data, '.embedding-studio', 'runs', 'yui-2'), { recursive: true });
  assert.equal(newRunFolder(data, 'yui'), join(data, '.embedding-studio', 'runs', 'yui-3'));
});

test('the last run configuration is remembered per dataset, without run-specific fields, and read defensively', async () => {
  const values = new Map<string, unknown>();
  const store = { get: <T>(key: string) => values.get(key) as T | undefined, update: async (key: string, value: unknown) => void values.set(key, value) };
  await rememberRunConfig(store, '/data/one', mergeRunConfig({ name: 'one', vectors: 8, learnRate: '0.005:100, 0.001', out: '/data/one/runs/one', data: '/data/one', initEmbedding: '/x.pt' }));
  const one = lastRunConfig(store, '/data/one/');
  assert.equal(one.name, 'one');
  assert.equal(one.vectors, 8);
  assert.equal(one.learnRate, '0.005:100, 0.001');
  assert.equal(one.out, undefined);
  assert.equal(one.data, undefined);
  assert.equal(one.initEmbedding, undefined);
  assert.deepEqual(lastRunConfig(store, '/data/two'), {});
  // a stored value of the wrong type or an unknown field (an older version's) is dropped
  values.set('embeddingStudio.lastRunConfig:/data/three', { vectors: 'eight', maxSteps: 500, bogus: 1 });
  assert.deepEqual(lastRunConfig(store, '/data/three'), { maxSteps: 500 });
});

test('copying an embedding to the embeddings folder: copied byte for byte, never replaced silently, clear errors', async () => {
  const source = join(root, 'emb.safetensors');
  writeFileSync(source, Buffer.from([1, 2, 3, 250]));
  const folder = join(root, 'a1111-embeddings');
  await assert.rejects(copyEmbeddingToFolder(source, ''), (e: unknown) => e instanceof EmbeddingCopyError && /embeddingStudio\.embeddingsFolder/.test(e.message));
  await assert.rejects(copyEmbeddingToFolder(source, folder), /does not exist/);
  mkdirSync(folder);
  const target = await copyEmbeddingToFolder(source, folder);
  assert.equal(target, join(folder, 'emb.safetensors'));
  assert.deepEqual([...readFileSync(target)], [1, 2, 3, 250]);
  await assert.rejects(copyEmbeddingToFolder(source, folder), /already exists/);
  writeFileSync(source, Buffer.from([9]));
  await copyEmbeddingToFolder(source, folder, { overwrite: true });
  assert.deepEqual([...readFileSync(target)], [9]);
  const renamed = await copyEmbeddingToFolder(source, folder, { asName: 'mychar' });
  assert.ok(existsSync(renamed) && renamed.endsWith('mychar.safetensors'));
});
