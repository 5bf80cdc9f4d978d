// Exact CLIP caption counts at dataset scale, against the plain estimate measured in the same run.
// 10,000 WD14-style captions (shared tags, a long tail, escaped `\(…\)` names, some weights, 20%
// over 75 tokens) beside real PNG files in a temporary folder. Prints:
//   - counting every caption: the estimate (reference), the exact counter cold (fresh memo) and
//     warm, and the tokenizer on whole captions without the per-stretch memo;
//   - a cold full lint with the estimate vs with the exact counter;
//   - the language server's first diagnostics (index + lint in LintEngineAdapter) with
//     caption-length off (no tokenizer loaded) vs by default (the shipped vocabulary, loading it
//     included).
//   node --import tsx bench/captionTokenCount.ts [captions]
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { DatasetIndex } from '../src/dataset/datasetIndex';
import { LintSession, estimateClipTokens } from '../src/lint';
import { ClipTokenizer } from '../src/sd/clipTokenizer';
import { CaptionTokenCounter } from '../src/train/captionTokenCount';
import { LintEngineAdapter } from '../src/server/lintEngineAdapter';

const count = Number(process.argv[2] ?? 10_000);
const vocabulary = join(__dirname, '..', 'resources', 'clip');

const common = [
  'long hair', 'short hair', 'blonde hair', 'black hair', 'twintails', 'ponytail', 'hair ornament', 'ahoge', 'bangs', 'blue eyes', 'red eyes', 'looking at viewer',
  'school uniform', 'serafuku', 'pleated skirt', 'white shirt', 'black thighhighs', 'long sleeves', 'simple background', 'white background', 'outdoors', 'sky',
  'cherry blossoms', 'smile', 'open mouth', 'standing', 'sitting', 'upper body', 'cowboy shot', 'blush', 'holding', 'closed mouth', 'highres', 'absurdres',
  'saber \\(fate\\)', 'hatsune miku', 'hair between eyes', 'collarbone', 'jewelry', 'earrings', 'frills', 'ribbon', 'bow', 'gloves', 'hat', 'day', 'window',
];

function caption(seed: number): string {
  let state = seed * 2654435761 + 7;
  const next = (n: number) => ((state = (state * 1103515245 + 12345) >>> 0) % n);
  const long = next(5) === 0;
  const tags = ['1girl', 'solo'];
  const n = long ? 30 + next(10) : 6 + next(10);
  for (let i = 0; i < n; i++) {
    const tag = next(4) === 0 ? `rare tag ${next(3000)}` : common[next(common.length)];
    tags.push(next(15) === 0 ? `(${tag}:1.2)` : tag);
  }
  return tags.join(', ');
}

/** Wall time, and this process's CPU time (less sensitive to other load on the machine). */
function timed<T>(run: () => T): { ms: number; cpuMs: number; value: T } {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = run();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, value };
}
const both = (t: { ms: number; cpuMs: number }) => `${t.ms.toFixed(1)} ms wall, ${t.cpuMs.toFixed(1)} ms CPU`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'caption-tokens-'));
  try {
    const captions = Array.from({ length: count }, (_, i) => caption(i));
    const png = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#808080' } }).png().toBuffer();
    captions.forEach((text, i) => {
      const stem = `img${String(i).padStart(5, '0')}`;
      writeFileSync(join(dir, `${stem}.txt`), text);
      writeFileSync(join(dir, `${stem}.png`), png);
    });

    const estimate = timed(() => captions.reduce((n, c) => n + estimateClipTokens(c), 0));
    const load = timed(() => ClipTokenizer.fromBpeFile(join(vocabulary, 'bpe_simple_vocab_16e6.txt.gz')));
    const counter = new CaptionTokenCounter(load.value);
    const cold = timed(() => captions.reduce((n, c) => n + counter.count(c), 0));
    const warm = timed(() => captions.reduce((n, c) => n + counter.count(c), 0));
    // Whole captions through the tokenizer (its per-word BPE cache is warm by now).
    const whole = timed(() => captions.reduce((n, c) => n + load.value.tokenCount(c.replace(/\\\(|\\\)/g, (e) => e[1])), 0));
    const over = captions.filter((c) => counter.count(c) > 75).length;

    const index = await DatasetIndex.build(dir);
    const lintEstimated = timed(() => new LintSession(index).lintAll());
    const lintExact = timed(() => new LintSession(index, { countTokens: new CaptionTokenCounter(load.value).count }).lintAll());
    const lengthFindings = (all: Map<string, { code: string }[]>) => [...all.values()].flat().filter((d) => d.code === 'caption-length').length;

    // The server's path to its first diagnostics, alternating so the disk cache is equally warm.
    const firstDiagnostics = async (rules: Record<string, 'off'> = {}) => {
      const adapter = new LintEngineAdapter();
      adapter.configure({ lint: { rules, extraVagueTags: {} } });
      const start = performance.now();
      const cpu = process.cpuUsage();
      await adapter.index([dir]);
      adapter.lint();
      const used = process.cpuUsage(cpu);
      return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
    };
    const without: Array<{ ms: number; cpuMs: number }> = [];
    const withTokenizer: Array<{ ms: number; cpuMs: number }> = [];
    for (let round = 0; round < 3; round++) {
      without.push(await firstDiagnostics({ 'caption-length': 'off' }));
      withTokenizer.push(await firstDiagnostics());
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

    console.log(`captionTokenCount: ${count} captions (${over} over 75 tokens), ${count} PNG files`);
    console.log(`  estimate, every caption (reference):         ${both(estimate)}`);
    console.log(`  tokenizer load (bpe_simple_vocab_16e6.txt.gz): ${both(load)}`);
    console.log(`  exact counter, cold memo:                    ${both(cold)} (${(cold.cpuMs / estimate.cpuMs).toFixed(1)}× reference CPU)`);
    console.log(`  exact counter, warm memo:                    ${both(warm)} (${(warm.cpuMs / estimate.cpuMs).toFixed(1)}× reference CPU)`);
    console.log(`  tokenizer on whole captions, no memo:        ${both(whole)} (${(whole.cpuMs / estimate.cpuMs).toFixed(1)}× reference CPU)`);
    console.log(`  cold full lint, estimated lengths:           ${both(lintEstimated)} (${lengthFindings(lintEstimated.value)} caption-length)`);
    console.log(`  cold full lint, exact lengths:               ${both(lintExact)} (${(lintExact.cpuMs / lintEstimated.cpuMs).toFixed(2)}× estimated CPU; ${lengthFindings(lintExact.value)} caption-length)`);
    const fmt = (runs: Array<{ ms: number; cpuMs: number }>) => `${median(runs.map((r) => r.ms)).toFixed(0)} ms wall, ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms CPU`;
    console.log(`  server first diagnostics (index + lint), median of 3: caption-length off ${fmt(without)}; default (shipped vocabulary) ${fmt(withTokenizer)} (${(median(withTokenizer.map((r) => r.cpuMs)) / median(without.map((r) => r.cpuMs))).toFixed(2)}× CPU)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
