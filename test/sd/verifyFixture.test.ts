import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBounded } from '../support/timeLimits';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureDir, fp16FixtureModel } from './sd1TinyFixture';

const repoRoot = join(__dirname, '../..');

function cli(...args: string[]) {
  const result = runBounded(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'verify-fixture', ...args], { encoding: 'utf8', cwd: repoRoot });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('verify-fixture passes every case of sd1-tiny with float32 weights and prints one row per output', () => {
  const { code, stdout, stderr } = cli(fixtureDir);
  assert.equal(code, 0, stdout + stderr);
  const cases = JSON.parse(readFileSync(join(fixtureDir, 'cases.json'), 'utf8')).cases as { outputs: string[]; aux_outputs?: string[] }[];
  const expectedRows = cases.reduce((n, c) => n + c.outputs.length + (c.aux_outputs?.length ?? 0), 0);
  const rows = stdout.split('\n').filter((line) => / (pass|FAIL)$/.test(line));
  assert.equal(rows.length, expectedRows);
  assert.match(stdout, /^ti_loss_clip_skip2\s+grad\s+\S+\s+5e-5\s+pass$/m);
  assert.match(stdout, /^unet\s+eps\s+\S+\s+1e-5\s+pass$/m);
});

test('with fp16 weights the tolerance is 1e-2', () => {
  const { code, stdout } = cli(fixtureDir, '--model', fp16FixtureModel(), '--case', 'text_encoder', '--case', 'vae_decode');
  assert.equal(code, 0, stdout);
  assert.match(stdout, /^vae_decode\s+image\s+\S+e-3\s+1e-2\s+pass$/m);
});

test('a wrong head count in config.json makes the text encoder rows fail with exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-fixture-'));
  try {
    for (const name of ['cases.json', 'cases.safetensors', 'model.safetensors']) symlinkSync(join(fixtureDir, name), join(dir, name));
    const config = JSON.parse(readFileSync(join(fixtureDir, 'config.json'), 'utf8'));
    config.text_encoder.heads = config.text_encoder.heads === 1 ? 2 : 1;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const { code, stdout } = cli(dir, '--case', 'text_encoder');
    assert.equal(code, 1, stdout);
    assert.match(stdout, /^text_encoder\s+hidden_last\s+\S+\s+1e-5\s+FAIL$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad usage and a folder without cases.json exit 2 with the reason', () => {
  assert.equal(cli().code, 2);
  const dir = mkdtempSync(join(tmpdir(), 'es-fixture-'));
  try {
    const { code, stderr } = cli(dir);
    assert.equal(code, 2);
    assert.match(stderr, /no cases\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
