import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEmbeddingFile } from '../../src/train/embeddingFile';

const repo = join(__dirname, '../..');

test('demo: random tiny model, dataset, lint, training, and it says where everything is', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'demo-')), 'demo');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), 'demo', '--out', out, '--steps', '12'], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /RANDOM weights: it shows the pipeline/);
  assert.match(r.stdout, /lint: +\d+ errors, \d+ warnings/);
  const embeddingPath = join(out, 'run', 'embeddings', 'demoemb.safetensors');
  assert.match(r.stdout, new RegExp(`embedding: ${embeddingPath.replace(/[.]/g, '\\.')}`));
  const e = readEmbeddingFile(embeddingPath);
  assert.deepEqual([e.count, e.width, e.step], [4, 64, 12]);
  assert.ok(existsSync(join(out, 'run', 'embeddings', 'demoemb.pt')));
  assert.equal(readFileSync(join(out, 'run', 'textual_inversion_loss.csv'), 'utf8').trim().split('\n').length, 13);
  assert.ok(readdirSync(join(out, 'run', 'images')).some((f) => f.endsWith('.png')));
  assert.equal(readdirSync(join(out, 'dataset')).filter((f) => f.endsWith('.txt')).length, 8);
});
