// Tagger throughput with the test tagger (built by the tests' graph-builder model: conv + global
// pooling + matmul, so ORT time is tiny and the figure is dominated by our preprocessing and
// batching). Reference measured in the same run: the WD14 preprocessing alone (taggerInput) for
// the same images, so the ratio shows what model runs, batching and tag selection add.
// Run: node --import tsx bench/tagger.ts [--count N]
import { mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { Tagger } from '../src/dataset/tagger';
import { taggerInput } from '../src/dataset/taggerPreprocessing';
import { v2Like, v3Like, writeTestTagger } from '../test/dataset/testTaggerModel';
import { timeImagePass } from './support/imageThroughput';

const { values } = parseArgs({ options: { count: { type: 'string', default: '200' } } });
const count = Number(values.count);

const timed = (label: string, run: () => Promise<unknown>) => timeImagePass(label, count, run, 44);

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'es-bench-tagger-'));
  try {
    const template = join(root, 'template.png');
    const raw = Buffer.alloc(768 * 512 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919) % 251;
    await sharp(raw, { raw: { width: 768, height: 512, channels: 3 } }).png().toFile(template);
    const images = Array.from({ length: count }, (_, i) => {
      const file = join(root, `img${i}.png`);
      copyFileSync(template, file);
      return file;
    });
    console.log(`${count} images 768×512 PNG → 448×448 WD14 input, test tagger (11 tags), CPU provider`);
    const reference = await timed('reference: WD14 preprocessing only (4 at once)', async () => {
      for (let i = 0; i < images.length; i += 4) await Promise.all(images.slice(i, i + 4).map((f) => taggerInput(f, 448)));
    });
    // What the exact Pillow resize costs: the same padding and size with libvips' cubic instead.
    const libvips = await timed('libvips decode + cubic resize (not Pillow-exact)', async () => {
      for (let i = 0; i < images.length; i += 4)
        await Promise.all(images.slice(i, i + 4).map((f) => sharp(f).flatten({ background: '#ffffff' }).resize(448, 448, { kernel: 'cubic', fit: 'contain', background: '#ffffff' }).raw().toBuffer()));
    });
    console.log(`Pillow-exact preprocessing vs libvips: ${(reference / libvips).toFixed(2)}× the time`);
    const results: string[] = [];
    for (const [label, options, batchSize] of [
      ['v2-like, fixed batch 1', v2Like, 1],
      ['v3-like at 448, dynamic batch 4', { ...v3Like, size: 448 }, 4],
      ['v3-like at 448, dynamic batch 8', { ...v3Like, size: 448 }, 8],
    ] as const) {
      const dir = mkdtempSync(join(root, 'model-'));
      const { model, tags } = writeTestTagger(dir, options);
      const tagger = await Tagger.open(model, tags, { provider: 'cpu' });
      const seconds = await timed(`tagImages, ${label}`, () => tagger.tagImages(images, { batchSize }));
      await tagger.release();
      results.push(`${label} ${(seconds / reference).toFixed(2)}×`);
    }
    console.log(`ratios to preprocessing only (time): ${results.join(', ')}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
