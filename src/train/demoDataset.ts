// A small generated dataset for the demo and tests: a simple "character" (a round face with
// coloured hair and eyes, the same outfit every time) on plain backgrounds, drawn as SVG and
// rendered by sharp, with A1111-style tag captions. Deterministic for a given seed.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { SeededRandom } from '../sd/random';
import { writeFileAtomic } from '../dataset/atomicWrite';

const backgrounds: [string, string][] = [
  ['#ffffff', 'white background'],
  ['#dfe9f5', 'blue background'],
  ['#f3e6d0', 'beige background'],
  ['#e3f1df', 'green background'],
];
const poses = ['looking at viewer', 'smile', 'closed mouth', 'open mouth', 'upper body', 'portrait'];

export async function writeDemoDataset(folder: string, count: number, size: number, seed = 1): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  const rng = new SeededRandom(seed);
  const written: string[] = [];
  for (let i = 0; i < count; i++) {
    const [background, backgroundTag] = backgrounds[rng.nextInt(backgrounds.length)];
    const pose = poses[rng.nextInt(poses.length)];
    const cx = size * (0.4 + 0.2 * rng.nextFloat());
    const cy = size * (0.45 + 0.1 * rng.nextFloat());
    const r = size * (0.22 + 0.06 * rng.nextFloat());
    const smile = pose === 'smile' ? `<path d="M ${cx - r * 0.3} ${cy + r * 0.35} Q ${cx} ${cy + r * 0.6} ${cx + r * 0.3} ${cy + r * 0.35}" stroke="#a33" stroke-width="${size / 64}" fill="none"/>` : '';
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}">
  <rect width="100%" height="100%" fill="${background}"/>
  <rect x="${cx - r * 1.1}" y="${cy + r * 0.9}" width="${r * 2.2}" height="${size}" fill="#2b3a8c"/>
  <circle cx="${cx}" cy="${cy - r * 0.25}" r="${r * 1.15}" fill="#d8342b"/>
  <circle cx="${cx}" cy="${cy}" r="${r}" fill="#f7dcc4"/>
  <circle cx="${cx - r * 0.35}" cy="${cy - r * 0.1}" r="${r * 0.14}" fill="#2a6fdb"/>
  <circle cx="${cx + r * 0.35}" cy="${cy - r * 0.1}" r="${r * 0.14}" fill="#2a6fdb"/>
  ${smile}
</svg>`;
    const stem = `demo${String(i + 1).padStart(3, '0')}`;
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    await writeFileAtomic(join(folder, `${stem}.png`), png);
    await writeFileAtomic(join(folder, `${stem}.txt`), `1girl, solo, red hair, blue eyes, blue shirt, ${pose}, simple background, ${backgroundTag}`);
    written.push(join(folder, `${stem}.png`));
  }
  return written;
}
