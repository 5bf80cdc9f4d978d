// Scale benchmark for the dataset index and the lint engine: 10,000 captions with realistic
// WD14-style tag lists (distinct tags drawn per group, 5% group shots, 15% with a meta tag),
// each beside a real 512×512 PNG made by sharp (one solid-colour image written 10,000 times), in a temporary folder.
// Prints cold index time, cold lint time, and the time to re-lint after one caption changes
// (the keystroke path), against a reference measured in the same run: one plain pass that
// splits every caption on commas (the least any linter must do).
//   node --import tsx bench/lintScale.ts [captions]
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { DatasetIndex } from '../src/dataset/datasetIndex';
import { LintSession } from '../src/lint';

const count = Number(process.argv[2] ?? 10_000);

// Tag groups a WD14 tagger typically emits; each caption draws a few distinct tags per group.
const pools = {
  hair: ['long hair', 'short hair', 'blonde hair', 'black hair', 'twintails', 'ponytail', 'hair ornament', 'hair ribbon', 'ahoge', 'bangs', 'hair between eyes', 'sidelocks'],
  eyes: ['blue eyes', 'red eyes', 'green eyes', 'looking at viewer', 'closed eyes', 'purple eyes'],
  clothing: ['school uniform', 'serafuku', 'pleated skirt', 'white shirt', 'black thighhighs', 'red neckerchief', 'jacket', 'long sleeves', 'gloves', 'hat', 'loafers', 'bow', 'collarbone'],
  scene: ['simple background', 'white background', 'outdoors', 'sky', 'cloud', 'tree', 'leaf', 'maple leaf', 'cherry blossoms', 'indoors', 'classroom', 'flower', 'day', 'window'],
  pose: ['smile', 'open mouth', 'standing', 'sitting', 'upper body', 'full body', 'cowboy shot', 'hand up', 'blush', 'holding', 'closed mouth', 'arms behind back'],
  meta: ['absurdres', 'highres', 'commentary request', 'saber (fate)'],
};

function randomCaption(seed: number): string {
  let state = seed * 2654435761 + 1;
  const next = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  // Mostly single-person images, as a curated dataset is; a few group shots.
  const tags: string[] = next() < 0.05 ? ['2girls', 'multiple girls'] : ['1girl', 'solo'];
  for (const [group, pool] of Object.entries(pools)) {
    const n = group === 'meta' ? (next() < 0.15 ? 1 : 0) : 1 + Math.floor(next() * 3);
    const available = [...pool];
    for (let i = 0; i < n; i++) tags.push(available.splice(Math.floor(next() * available.length), 1)[0]);
  }
  tags.push(`rare tag ${seed % 997}`); // a long tail of less common tags
  return tags.join(', ');
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'lint-scale-'));
  try {
    const png = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#808080' } }).png().toBuffer();
    for (let i = 0; i < count; i++) {
      const stem = `img${String(i).padStart(5, '0')}`;
      writeFileSync(join(dir, `${stem}.txt`), randomCaption(i));
      writeFileSync(join(dir, `${stem}.png`), png);
    }
    // Reference: read and split every caption (same files, same process, warm cache).
    let t = performance.now();
    let tags = 0;
    for (let i = 0; i < count; i++) tags += readFileSync(join(dir, `img${String(i).padStart(5, '0')}.txt`), 'utf8').split(',').length;
    const referenceMs = performance.now() - t;

    t = performance.now();
    let cpu = process.cpuUsage();
    const index = await DatasetIndex.build(dir);
    const indexMs = performance.now() - t;
    const indexCpuMs = cpuMs(cpu);

    t = performance.now();
    cpu = process.cpuUsage();
    const session = new LintSession(index);
    const all = session.lintAll();
    const lintMs = performance.now() - t;
    const lintCpuMs = cpuMs(cpu);
    let diagnostics = 0;
    for (const list of all.values()) diagnostics += list.length;

    // Keystroke path: edit one caption's in-memory text, update the index, re-lint incrementally.
    const target = join(dir, 'img00042.txt');
    const keystrokes: number[] = [];
    const relinted: number[] = [];
    const texts = ['1girl, leaf, blue eyes, school uniform', '1girl, leaf, blue eyes, school uniform, smil', '1girl, leaf, blue eyes, school uniform, smile', '1girl, maple leaf, 2girls, absurdres'];
    for (let round = 0; round < 5; round++) {
      for (const text of texts) {
        const start = performance.now();
        const change = index.setCaptionText(target, text);
        const update = session.update(change);
        keystrokes.push(performance.now() - start);
        relinted.push(update.relinted);
      }
    }
    keystrokes.sort((a, b) => a - b);
    const median = keystrokes[Math.floor(keystrokes.length / 2)];
    const worst = keystrokes[keystrokes.length - 1];

    t = performance.now();
    new LintSession(index).lintAll();
    const warmLintMs = performance.now() - t;

    console.log(`lintScale: ${count} captions + ${count} PNG files (512×512, solid colour), ${tags} tags, ${diagnostics} diagnostics`);
    console.log(`  reference (read + split every caption):   ${referenceMs.toFixed(1)} ms`);
    console.log(`  cold index build (scan, read, parse, PNG headers): ${indexMs.toFixed(1)} ms wall, ${indexCpuMs.toFixed(1)} ms process CPU (${(indexMs / referenceMs).toFixed(1)}× reference)`);
    console.log(`  cold lint of the whole dataset:            ${lintMs.toFixed(1)} ms wall, ${lintCpuMs.toFixed(1)} ms CPU (${(lintMs / referenceMs).toFixed(1)}× reference)`);
    console.log(`  second full lint (warm JIT):               ${warmLintMs.toFixed(1)} ms`);
    console.log(`  incremental re-lint after one caption edit: median ${median.toFixed(2)} ms, worst ${worst.toFixed(2)} ms (${(median / lintMs * 100).toFixed(2)}% of a full lint); targets re-linted: ${Math.min(...relinted)}–${Math.max(...relinted)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU time of this process since `since` (user + system), in ms: less sensitive to other load than wall time. */
function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

main();
