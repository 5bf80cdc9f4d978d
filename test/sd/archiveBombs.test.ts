// Decompression and pickle bombs given as an embedding (.pt) and as a checkpoint (.ckpt): each is
// refused as "not a plausible embedding or checkpoint", naming the file, in a process whose heap
// is capped far below what the bomb would build (it used to die with a V8 fatal error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deepStackPickle, endlessListPickle, hugeStringBomb, noneOpcodeBomb, understatedSizeBomb } from '../fault/archiveBombs';

const repo = join(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'es-bombs-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const bombs = {
  'none-256mib': { bytes: noneOpcodeBomb(256), refusal: /its record archive\/data\.pkl would hold 256\.0 MiB \(the file is 260 KiB/ },
  'string-1gib': { bytes: hugeStringBomb(1), refusal: /would hold 1\.0 GiB/ },
  'deep-stack': { bytes: deepStackPickle(), refusal: /its pickle holds more than 1,000,000 values at once/ },
  'endless-list': { bytes: endlessListPickle(), refusal: /its pickle puts more than 4,000,000 items into lists and dicts/ },
  understated: { bytes: understatedSizeBomb(), refusal: /inflates past the 4 KiB it declares/ },
};

// Both readers in a child whose heap cannot hold any bomb's inflated contents.
const reader = `
const { readEmbeddingFile } = require(${JSON.stringify(join(repo, 'src/train/embeddingFile.ts'))});
const { loadCheckpoint } = require(${JSON.stringify(join(repo, 'src/sd/checkpoint.ts'))});
const out = {};
for (const path of process.argv.slice(1)) {
  const read = path.endsWith('.pt') ? readEmbeddingFile : loadCheckpoint;
  try { read(path); out[path] = 'accepted'; } catch (error) { out[path] = error.message; }
}
out.rss = process.memoryUsage().rss;
console.log(JSON.stringify(out));
`;

test('bombs as .pt and .ckpt are refused with a clear message, within a 160 MB heap', () => {
  const paths: string[] = [];
  for (const [name, bomb] of Object.entries(bombs)) {
    for (const ext of ['.pt', '.ckpt']) {
      const path = join(dir, `${name}${ext}`);
      writeFileSync(path, bomb.bytes);
      paths.push(path);
    }
  }
  const run = spawnSync(process.execPath, ['--max-old-space-size=160', '--require', 'tsx/cjs', '-e', reader, ...paths], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `the reader died (status ${run.status}, signal ${run.signal}): ${run.stderr.slice(-2000)}`);
  const results = JSON.parse(run.stdout) as Record<string, string | number>;
  for (const [name, bomb] of Object.entries(bombs)) {
    for (const ext of ['.pt', '.ckpt']) {
      const path = join(dir, `${name}${ext}`);
      const message = String(results[path]);
      assert.ok(message.includes(path), `${name}${ext}: the message names the file: ${message}`);
      assert.match(message, /not a plausible embedding or checkpoint/, `${name}${ext}: ${message}`);
      assert.match(message, bomb.refusal, `${name}${ext}: ${message}`);
    }
  }
  assert.ok(Number(results.rss) < 600 * 2 ** 20, `resident memory ${results.rss}`);
});
