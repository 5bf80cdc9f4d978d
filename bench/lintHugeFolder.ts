// A folder of 100,000 caption files: the index must stop at its cap (50,000 images and
// captions), say so, and stay responsive (the event loop is never blocked for long).
// Prints the build time and the longest event-loop stall, against a reference measured in the
// same run: listing the folder with one readdir.
//   node --import tsx bench/lintHugeFolder.ts [files]
import { mkdtempSync, rmSync, openSync, closeSync, writeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DatasetIndex } from '../src/dataset/datasetIndex';
import { LintSession } from '../src/lint';

const count = Number(process.argv[2] ?? 100_000);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'lint-huge-'));
  try {
    for (let i = 0; i < count; i++) {
      const fd = openSync(join(dir, `c${i}.txt`), 'w');
      writeSync(fd, `1girl, smile, tag${i % 500}`);
      closeSync(fd);
    }
    let t = performance.now();
    const listed = readdirSync(dir).length;
    const referenceMs = performance.now() - t;

    // Measure the longest gap between timer ticks while the index builds.
    let longestStall = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestStall = Math.max(longestStall, now - last);
      last = now;
    }, 1);
    t = performance.now();
    const index = await DatasetIndex.build(dir);
    const buildMs = performance.now() - t;
    clearInterval(ticker);
    t = performance.now();
    const diagnostics = [...new LintSession(index).lintAll().values()].flat().length;
    const lintMs = performance.now() - t;
    console.log(`lintHugeFolder: ${listed} caption files`);
    console.log(`  reference (one readdir):   ${referenceMs.toFixed(1)} ms`);
    console.log(`  index build:               ${buildMs.toFixed(1)} ms (${(buildMs / referenceMs).toFixed(1)}× reference), ${index.captionCount} captions indexed, truncated: ${index.truncated}`);
    console.log(`  longest event-loop stall:  ${longestStall.toFixed(1)} ms`);
    console.log(`  lint of what was indexed:  ${lintMs.toFixed(1)} ms, ${diagnostics} diagnostics`);
    console.log(`  scan problem: ${index.scanProblems[0]?.message ?? 'none'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
