// A targeted dataset for one detail (the tutorial's answer for special features such as
// star-shaped pupils): square crops of just that detail from selected images, resized to the
// training size, into a new folder with a caption naming the detail. Regions come from the user
// (e.g. drawn in the crop review), or, when none is given, the most detailed square is taken.
import { promises as fs } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { writeFileAtomic } from './atomicWrite';
import { decodeImage, ImageDecodeError, sharpFromRgb, type RgbImage } from './imageLoading';
import { detailMap, richestWindow, type CropRectangle } from './focalPoint';
import type { OverwritePolicy } from './preprocess';

export interface TargetedCropSource {
  image: string;
  /** Regions in upright image pixels; each becomes one square crop (grown to a square around its centre). */
  regions?: CropRectangle[];
}

export interface TargetedCropOptions {
  sources: TargetedCropSource[];
  destinationDir: string;
  size?: number;
  /** Side of the automatic square as a fraction of the image's short side (default 0.35). */
  autoFraction?: number;
  /** Caption written beside every crop, e.g. 'star-shaped pupils, eye focus, close-up'. */
  caption?: string;
  background?: string;
  overwrite?: OverwritePolicy;
  signal?: AbortSignal;
  onProgress?: (progress: { done: number; total: number; file: string }) => void;
}

export interface TargetedCropReport {
  written: string[];
  failed: { file: string; reason: string }[];
  notOverwritten: string[];
  cancelled: boolean;
}

/** Grows a rectangle to a square around its centre, kept inside the image (never larger than its short side). */
export function squareAround(region: CropRectangle, width: number, height: number): CropRectangle {
  const side = Math.min(Math.max(region.width, region.height, 1), width, height);
  const centreX = region.left + region.width / 2;
  const centreY = region.top + region.height / 2;
  const left = Math.min(width - side, Math.max(0, Math.round(centreX - side / 2)));
  const top = Math.min(height - side, Math.max(0, Math.round(centreY - side / 2)));
  return { left, top, width: side, height: side };
}

/** The square of side `fraction × short side` holding the most detail. */
export async function mostDetailedSquare(image: RgbImage, fraction: number): Promise<CropRectangle> {
  const side = Math.max(1, Math.round(Math.min(image.width, image.height) * Math.min(1, Math.max(0.05, fraction))));
  const scale = Math.min(1, 192 / Math.max(image.width, image.height));
  const { data, info } = await sharpFromRgb(image)
    .resize(Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)), { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const map = detailMap({ data, width: info.width, height: info.height });
  const sx = info.width / image.width;
  const sy = info.height / image.height;
  const best = richestWindow(map, Math.round(side * sx), Math.round(side * sy));
  return squareAround({ left: Math.round(best.left / sx), top: Math.round(best.top / sy), width: side, height: side }, image.width, image.height);
}

export async function makeTargetedCrops(options: TargetedCropOptions): Promise<TargetedCropReport> {
  const size = options.size ?? 512;
  const destinationDir = resolve(options.destinationDir);
  const report: TargetedCropReport = { written: [], failed: [], notOverwritten: [], cancelled: false };
  await fs.mkdir(destinationDir, { recursive: true });
  const plan = options.sources.map((source) => {
    const stem = basename(source.image, extname(source.image));
    const count = Math.max(1, source.regions?.length ?? 0);
    const names = Array.from({ length: count }, (_, i) => `${stem}-detail${count > 1 ? i + 1 : ''}`);
    return { source, names };
  });
  const existing = new Set(await fs.readdir(destinationDir));
  const clashing = plan.filter((p) => p.names.some((n) => existing.has(`${n}.png`) || existing.has(`${n}.txt`)));
  let allowed = true;
  if (clashing.length > 0) {
    const policy = options.overwrite ?? 'never';
    const files = clashing.flatMap((p) => p.names.flatMap((n) => [`${n}.png`, `${n}.txt`]).filter((f) => existing.has(f)).map((f) => join(destinationDir, f)));
    allowed = policy === 'always' ? true : policy === 'never' ? false : await policy(files.sort());
    if (!allowed) report.notOverwritten = clashing.map((p) => p.source.image);
  }
  let done = 0;
  for (const { source, names } of plan) {
    if (options.signal?.aborted) {
      report.cancelled = true;
      break;
    }
    if (!allowed && clashing.some((p) => p.source === source)) continue;
    try {
      const image = await decodeImage(source.image, { background: options.background ?? '#ffffff' });
      const squares = source.regions?.length
        ? source.regions.map((r) => squareAround(r, image.width, image.height))
        : [await mostDetailedSquare(image, options.autoFraction ?? 0.35)];
      for (let i = 0; i < squares.length; i++) {
        const png = await sharpFromRgb(image).extract(squares[i]).resize(size, size, { fit: 'fill', kernel: 'lanczos3' }).png().toBuffer();
        const target = join(destinationDir, `${names[i]}.png`);
        await writeFileAtomic(target, png);
        report.written.push(target);
        if (options.caption) await writeFileAtomic(join(destinationDir, `${names[i]}.txt`), Buffer.from(options.caption.trim(), 'utf8'));
      }
    } catch (error) {
      report.failed.push({ file: source.image, reason: error instanceof ImageDecodeError ? error.reason : (error as Error).message });
    }
    options.onProgress?.({ done: ++done, total: plan.length, file: source.image });
  }
  return report;
}
