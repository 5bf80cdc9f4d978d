// Preprocess Images: every image of a source folder becomes one or more `width × height` PNGs in
// a destination folder (centre or focal-point crop, or overlapping tiles for oversized images,
// optionally with mirrored copies), with its caption copied along under each new name.
// Nothing in the destination is replaced unless the overwrite policy says so, every file is
// written atomically, and a file that cannot be decoded is skipped and reported, never fatal.
import { promises as fs } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { writeFileAtomic } from './atomicWrite';
import { readCaptionFile } from './captionDecode';
import { refusedLinkIn } from './datasetLinks';
import { decodeImage, ImageDecodeError, isImageFile, sharpFromRgb, type RgbImage } from './imageLoading';
import { unusableImageMessage } from './imageInfo';
import { centreCrop, focalCrop, type CropRectangle } from './focalPoint';
import { defaultSplitOptions, isOversized, planTiles, type SplitOptions } from './imageTiles';
import { mirrorBlockers, MirrorRefusedError, type CaptionSource } from './mirrorPolicy';
import { subjectAwareCrop, type SubjectScorer } from './subjectCrop';

export type CropMode = 'centre' | 'focal';

/** 'never' skips sources whose outputs exist; a function is asked once with every existing output. */
export type OverwritePolicy = 'never' | 'always' | ((existingFiles: string[]) => boolean | Promise<boolean>);

export interface PreprocessProgress {
  done: number;
  total: number;
  file: string;
}

export interface PreprocessOptions {
  sourceDir: string;
  destinationDir: string;
  width?: number;
  height?: number;
  crop?: CropMode;
  /** Cut images that a single crop would mostly lose into overlapping tiles (off unless given). */
  split?: SplitOptions | boolean;
  mirror?: boolean;
  /** Colour transparent pixels are flattened onto. */
  background?: string;
  /** Caption extensions looked for beside each image, in order of preference. */
  captionExtensions?: string[];
  /** With crop 'focal': rates candidate crops by how much of the subject they keep (e.g. taggerSubjectScorer). */
  subjectScorer?: SubjectScorer;
  /** Tags from a tagger run (per image file) that the mirror check reads besides the captions. */
  taggerResults?: CaptionSource[];
  overwrite?: OverwritePolicy;
  concurrency?: number;
  onProgress?: (progress: PreprocessProgress) => void;
  signal?: AbortSignal;
}

export interface PreprocessReport {
  /** Image files found in the source folder. */
  total: number;
  /** Source images written (all their outputs). */
  processed: number;
  written: string[];
  captionsCopied: string[];
  failed: { file: string; reason: string }[];
  /** Source images skipped because their outputs already existed and the policy said no. */
  notOverwritten: string[];
  cancelled: boolean;
}

interface SourceImage {
  path: string;
  /** Output name stem (unique within the run). */
  stem: string;
  captionPath: string | null;
}

export async function preprocessImages(options: PreprocessOptions): Promise<PreprocessReport> {
  const width = options.width ?? 512;
  const height = options.height ?? 512;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 8 || height < 8 || width > 8192 || height > 8192)
    throw new Error(`target size ${width}×${height} is not usable: give whole numbers between 8 and 8192 (512×512 for SD 1.x)`);
  const sourceDir = resolve(options.sourceDir);
  const destinationDir = resolve(options.destinationDir);
  if (sourceDir === destinationDir) throw new Error(`${destinationDir}: the destination is the source folder — choose a separate folder so the originals stay untouched`);
  const listed = await listSources(sourceDir, options.captionExtensions ?? ['.txt', '.caption']);
  const report: PreprocessReport = { total: listed.length, processed: 0, written: [], captionsCopied: [], failed: [], notOverwritten: [], cancelled: false };
  // links that loop, dangle or leave the source folder are read by nothing (datasetLinks)
  const sources: SourceImage[] = [];
  for (const source of listed) {
    const refused = refusedLinkIn(sourceDir, source.path, basename(source.path)) ?? (source.captionPath ? refusedLinkIn(sourceDir, source.captionPath, basename(source.captionPath)) : undefined);
    if (refused) report.failed.push({ file: source.path, reason: refused });
    else sources.push(source);
  }

  if (options.mirror) await refuseMirroringWhenAsymmetric(sources, options.taggerResults ?? []);

  await fs.mkdir(destinationDir, { recursive: true });
  const existing = await existingOutputs(destinationDir, sources);
  let todo = sources;
  if (existing.size > 0) {
    const policy = options.overwrite ?? 'never';
    const allowed = policy === 'always' ? true : policy === 'never' ? false : await policy([...existing.values()].flat().sort());
    if (!allowed) {
      todo = sources.filter((s) => !existing.has(s.stem));
      report.notOverwritten = sources.filter((s) => existing.has(s.stem)).map((s) => s.path);
    }
  }

  const settings = {
    width,
    height,
    crop: options.crop ?? 'centre',
    split: options.split === true ? defaultSplitOptions : options.split || null,
    mirror: options.mirror ?? false,
    background: options.background ?? '#ffffff',
    destinationDir,
    subjectScorer: options.subjectScorer,
  };
  let done = report.notOverwritten.length + report.failed.length;
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      if (options.signal?.aborted) {
        report.cancelled = true;
        return;
      }
      const source = todo[next++];
      try {
        const outputs = await processOne(source, settings);
        report.written.push(...outputs.images);
        report.captionsCopied.push(...outputs.captions);
        report.processed++;
      } catch (error) {
        // the words lint and training use for the same file
        const reason = error instanceof ImageDecodeError ? unusableImageMessage(basename(source.path), error.reason) : error instanceof Error ? error.message : String(error);
        report.failed.push({ file: source.path, reason });
      }
      options.onProgress?.({ done: ++done, total: listed.length, file: source.path });
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? Math.min(4, availableParallelism()));
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, todo.length)) }, worker));
  report.written.sort();
  report.captionsCopied.sort();
  report.failed.sort((a, b) => a.file.localeCompare(b.file));
  return report;
}

async function listSources(sourceDir: string, captionExtensions: string[]): Promise<SourceImage[]> {
  let names: string[];
  try {
    names = await fs.readdir(sourceDir);
  } catch (error) {
    throw new Error(`${sourceDir}: cannot read the source folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}) — check the path`);
  }
  const present = new Set(names);
  const images = names.filter(isImageFile).sort();
  const stemCount = new Map<string, number>();
  for (const name of images) {
    const stem = basename(name, extname(name));
    stemCount.set(stem, (stemCount.get(stem) ?? 0) + 1);
  }
  return images.map((name) => {
    const stem = basename(name, extname(name));
    const caption = captionExtensions.map((ext) => stem + ext).find((c) => present.has(c));
    // `a.jpg` and `a.png` would both become `a.png`: keep the source extension in such names.
    const outputStem = (stemCount.get(stem) ?? 0) > 1 ? `${stem}-${extname(name).slice(1).toLowerCase()}` : stem;
    return { path: join(sourceDir, name), stem: outputStem, captionPath: caption ? join(sourceDir, caption) : null };
  });
}

async function refuseMirroringWhenAsymmetric(sources: SourceImage[], taggerResults: CaptionSource[]): Promise<void> {
  const captions: CaptionSource[] = [...taggerResults];
  for (const source of sources) {
    if (!source.captionPath) continue;
    const read = await readCaptionFile(source.captionPath);
    if (read.ok) captions.push({ file: source.captionPath, text: read.text });
  }
  const blockers = mirrorBlockers(captions);
  if (blockers.length > 0) throw new MirrorRefusedError(blockers);
}

/** Existing destination files that a source would write, by source stem. */
async function existingOutputs(destinationDir: string, sources: SourceImage[]): Promise<Map<string, string[]>> {
  const names = await fs.readdir(destinationDir);
  const found = new Map<string, string[]>();
  for (const source of sources) {
    const pattern = new RegExp(`^${escapeRegExp(source.stem)}(-tile\\d+)?(-mirrored)?\\.[^.]+$`);
    const hits = names.filter((name) => pattern.test(name)).map((name) => join(destinationDir, name));
    if (hits.length > 0) found.set(source.stem, hits);
  }
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Settings {
  width: number;
  height: number;
  crop: CropMode;
  split: SplitOptions | null;
  mirror: boolean;
  background: string;
  destinationDir: string;
  subjectScorer?: SubjectScorer;
}

async function processOne(source: SourceImage, settings: Settings): Promise<{ images: string[]; captions: string[] }> {
  const image = await decodeImage(source.path, { background: settings.background });
  const crops = await cropsOf(image, settings);
  const caption = source.captionPath ? await fs.readFile(source.captionPath) : null;
  const captionExtension = source.captionPath ? extname(source.captionPath) : '';
  const images: string[] = [];
  const captions: string[] = [];
  for (const crop of crops) {
    const variants: [string, boolean][] = [[crop.suffix, false]];
    if (settings.mirror) variants.push([`${crop.suffix}-mirrored`, true]);
    for (const [suffix, mirrored] of variants) {
      const pipeline = sharpFromRgb(crop.pixels);
      const png = await (mirrored ? pipeline.flop() : pipeline).png().toBuffer();
      const target = join(settings.destinationDir, `${source.stem}${suffix}.png`);
      await writeFileAtomic(target, png);
      images.push(target);
      if (caption) {
        const captionTarget = join(settings.destinationDir, `${source.stem}${suffix}${captionExtension}`);
        await writeFileAtomic(captionTarget, caption);
        captions.push(captionTarget);
      }
    }
  }
  return { images, captions };
}

/** The target-size pieces of one image: one crop, or the tiles of an oversized image. */
async function cropsOf(image: RgbImage, settings: Settings): Promise<{ suffix: string; pixels: RgbImage }[]> {
  const { width, height } = settings;
  if (settings.split && isOversized(image.width, image.height, width, height, settings.split)) {
    const plan = planTiles(image.width, image.height, width, height, settings.split.overlapRatio);
    const scaled = await toRgb(sharpFromRgb(image).resize(plan.scaledWidth, plan.scaledHeight, { fit: 'fill', kernel: 'lanczos3' }));
    return Promise.all(plan.tiles.map(async (tile, i) => ({ suffix: `-tile${i + 1}`, pixels: await toRgb(sharpFromRgb(scaled).extract(tile)) })));
  }
  let rectangle: CropRectangle = centreCrop(image.width, image.height, width / height);
  if (settings.crop === 'focal') {
    const analysis = await toRgb(sharpFromRgb(image).resize(160, 160, { fit: 'inside', withoutEnlargement: true }));
    rectangle = settings.subjectScorer
      ? await subjectAwareCrop(image, width / height, analysis, settings.subjectScorer)
      : focalCrop(image.width, image.height, width / height, analysis);
  }
  // The rectangle has the target aspect up to one pixel of rounding, so 'fill' does not distort.
  const pixels = await toRgb(sharpFromRgb(image).extract(rectangle).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }));
  return [{ suffix: '', pixels }];
}

async function toRgb(pipeline: import('sharp').Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
