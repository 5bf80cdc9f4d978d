// Preprocessing throughput: N images (default 1,000; 1024×768 JPEG and 800×1200 PNG with alpha)
// to 512×512, on this machine's cores. Reference measured in the same run: a plain sharp pass
// (decode, resize-cover, PNG encode) at the same concurrency, so the ratio is our overhead
// (decode to raw, EXIF/alpha/colour normalisation, focal analysis, atomic writes).
// Run: node --import tsx bench/preprocess.ts [--count N] [--concurrency C]
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { preprocessImages } from '../src/dataset/preprocess';
import { isImageFile } from '../src/dataset/imageLoading';
import { readdirSync } from 'node:fs';
import { timeImagePass } from './support/imageThroughput';

const { values } = parseArgs({ options: { count: { type: 'string', default: '1000' }, concurrency: { type: 'string' } } });
const count = Number(values.count);
const concurrency = Number(values.concurrency ?? Math.min(4, availableParallelism()));

async function makeSources(dir: string): Promise<void> {
  // 10 distinct pictures (gradients + noise so encoders and the focal analysis do real work), copied.
  const templates: string[] = [];
  for (let t = 0; t < 10; t++) {
    const [w, h, alpha] = t % 2 === 0 ? [1024, 768, false] : [800, 1200, true];
    const channels = alpha ? 4 : 3;
    const data = Buffer.alloc(w * h * channels);
    let seed = 1234 + t;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        const i = channels * (y * w + x);
        const detail = x > w * 0.6 && y < h * 0.5 ? seed >>> 24 : 0;
        data[i] = (x * 255) / w;
        data[i + 1] = (y * 255) / h;
        data[i + 2] = detail || 128;
        if (alpha) data[i + 3] = x < 40 ? 0 : 255;
      }
    const file = join(dir, `template${t}.${alpha ? 'png' : 'jpg'}`);
    const image = sharp(data, { raw: { width: w, height: h, channels } });
    await (alpha ? image.png() : image.jpeg({ quality: 90 })).toFile(file);
    templates.push(file);
  }
  for (let i = 0; i < count; i++) {
    const template = templates[i % templates.length];
    copyFileSync(template, join(dir, `img${String(i).padStart(5, '0')}${template.endsWith('.png') ? '.png' : '.jpg'}`));
  }
  for (const t of templates) rmSync(t);
}

async function plainSharpPass(src: string, dst: string): Promise<void> {
  const files = readdirSync(src).filter(isImageFile);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const name = files[next++];
      await sharp(join(src, name)).resize(512, 512, { fit: 'cover' }).png().toFile(join(dst, name.replace(/\.\w+$/, '.png')));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const timed = (label: string, run: () => Promise<unknown>) => timeImagePass(label, count, run, 34);

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'es-bench-preprocess-'));
  const src = join(root, 'src');
  const ac = new AbortController();
  try {
    await import('node:fs').then((fs) => fs.mkdirSync(src));
    await makeSources(src);
    console.log(`${count} images (half 1024×768 JPEG, half 800×1200 PNG with alpha) → 512×512 PNG, concurrency ${concurrency}, ${availableParallelism()} cores, libvips threads ${sharp.concurrency()}`);
    await import('node:fs').then((fs) => fs.mkdirSync(join(root, 'plain')));
    // Warm-up (file cache, libvips and the JIT) so the first timed pass is not penalised.
    await preprocessImages({ sourceDir: src, destinationDir: join(root, 'warm'), concurrency, crop: 'focal', onProgress: ({ done }) => done >= 20 && ac.abort(), signal: ac.signal });
    const reference = await timed('reference: plain sharp resize', () => plainSharpPass(src, join(root, 'plain')));
    const centre = await timed('preprocessImages, centre crop', () => preprocessImages({ sourceDir: src, destinationDir: join(root, 'centre'), concurrency }));
    const focal = await timed('preprocessImages, focal crop', () => preprocessImages({ sourceDir: src, destinationDir: join(root, 'focal'), crop: 'focal', concurrency }));
    const mirrored = await timed('preprocessImages, centre + mirror', () => preprocessImages({ sourceDir: src, destinationDir: join(root, 'mirror'), mirror: true, concurrency }));
    console.log(`ratios to the reference (time): centre ${(centre / reference).toFixed(2)}×, focal ${(focal / reference).toFixed(2)}×, centre+mirror ${(mirrored / reference).toFixed(2)}× (2 outputs per image)`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
