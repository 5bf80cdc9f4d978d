// The training set as A1111 reads it (modules/textual_inversion/dataset.py): every image in the
// dataset folder (top level), its caption from the same-named .txt file (or, without one, from
// the file name as A1111 makes it: see dataset/fileNameCaption.ts), resized to the training size
// with a bicubic filter (no crop), as float CHW values in [-1, 1] for the VAE encoder. What may
// be trained is decided by the dataset index, the same verdicts lint gives: an image that cannot
// be decoded, a caption that cannot be read as UTF-8 text, or a link that loops or leaves the
// dataset is skipped with lint's message — never trained on a guess.
import { statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { DatasetIndex } from '../dataset/datasetIndex';
import { captionFromFileName } from '../dataset/fileNameCaption';
import { decodeImage, sharpFromRgb } from '../dataset/imageLoading';

export interface TrainingImage {
  path: string;
  /** The caption text as written (the template's [filewords]). */
  caption: string;
  /** Size and modification time, to know when a cached latent is stale. */
  size: number;
  mtimeMs: number;
  /** Pixel size of the file. */
  width: number;
  height: number;
}

export interface TrainingImages {
  images: TrainingImage[];
  /** Images not trained, each with the reason (naming the file and the way out). */
  skipped: { path: string; problem: string }[];
  /** The index the verdicts came from (for the dataset's lint summary). */
  index: DatasetIndex;
}

/** Reads the dataset folder through the dataset index (every image decoded in full once). */
export async function listTrainingImages(folder: string): Promise<TrainingImages> {
  const root = resolve(folder);
  let isFolder: boolean;
  try {
    isFolder = statSync(root).isDirectory();
  } catch (error) {
    throw new Error(`${folder}: cannot read the dataset folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the folder of images and caption .txt files with --data`);
  }
  if (!isFolder) throw new Error(`${folder}: not a folder; give the folder of images and caption .txt files with --data`);
  const index = await DatasetIndex.build(root, { verifyImageData: true });
  const entries = [...index.images()].filter((e) => dirname(e.path) === root).sort((a, b) => (basename(a.path) < basename(b.path) ? -1 : 1));
  if (entries.length === 0) throw new Error(`${folder}: no images found (png, jpg, webp, …); the dataset folder needs images with same-named caption .txt files`);
  const images: TrainingImage[] = [];
  const skipped: TrainingImages['skipped'] = [];
  for (const entry of entries) {
    if (entry.problem || !entry.width || !entry.height) {
      skipped.push({ path: entry.path, problem: entry.problem ?? `${index.displayName(entry.path)}: no image size` });
      continue;
    }
    const stem = basename(entry.path, extname(entry.path));
    const caption = index.getCaption(join(root, `${stem}.txt`));
    if (caption?.problem || (caption && !caption.caption)) {
      skipped.push({ path: entry.path, problem: `${caption.problem ?? `${index.displayName(caption.path)} could not be read`} ${basename(entry.path)} is not trained until its caption can be read.` });
      continue;
    }
    let stat;
    try {
      stat = statSync(entry.path);
    } catch (error) {
      skipped.push({ path: entry.path, problem: `${index.displayName(entry.path)} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); it is skipped.` });
      continue;
    }
    images.push({ path: entry.path, caption: caption?.caption ? caption.caption.text.trim() : captionFromFileName(stem).caption, size: stat.size, mtimeMs: stat.mtimeMs, width: entry.width, height: entry.height });
  }
  return { images, skipped, index };
}

/** Decodes and resizes to width × height; returns [3, height, width] values in [-1, 1]. */
export async function loadImageForVae(path: string, width: number, height: number): Promise<Float32Array> {
  const image = await decodeImage(path, { background: '#ffffff' });
  const { data } = await sharpFromRgb(image).resize(width, height, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer({ resolveWithObject: true });
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = data[i * 3 + c] / 127.5 - 1;
  return out;
}
