// ONNX Runtime's own telemetry stays off: a process that runs our graphs (verify-fixture on the
// tiny fixture, through src/onnx/session's loader) leaves nothing in the temporary folder and
// nothing under ~/.cache/Microsoft (ONNX Runtime 1.30 writes `.ses`, `mat-debug-<pid>.log` and an
// event store there unless ORT_DISABLE_TELEMETRY is set).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runBounded } from '../support/timeLimits';
import { scratchFolder } from '../support/scratchFolder';

const repoRoot = join(__dirname, '../..');

test('running a graph writes nothing to the temporary folder or ~/.cache/Microsoft', () => {
  const root = scratchFolder('ort-telemetry-');
  const tmp = join(root, 'tmp');
  const home = join(root, 'home');
  mkdirSync(tmp);
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp, HOME: home, XDG_CACHE_HOME: join(home, '.cache') };
  delete env.ORT_DISABLE_TELEMETRY;
  const run = runBounded(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'verify-fixture', join(repoRoot, 'test/fixtures/sd1-tiny'), '--case', 'text_encoder'], { cwd: repoRoot, env, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^text_encoder\s+hidden_last\s+\S+\s+1e-5\s+pass$/m, 'ONNX Runtime really ran');
  // tsx keeps its compile cache in the temporary folder: that one is the loader's
  assert.deepEqual(readdirSync(tmp).filter((name) => !/^tsx-\d+$/.test(name)), []);
  assert.ok(!existsSync(join(home, '.cache', 'Microsoft')), 'no ~/.cache/Microsoft');
});
