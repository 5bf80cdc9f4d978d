// The training set as A1111 reads it (modules/textual_inversion/dataset.py): every image in the
// dataset folder (top level), its caption from the same-named .txt file (or, without one, from
// the file name as A1111 makes it: see dataset/fileNameCaption.ts), resized to the training size with a bicubic filter (no crop), as
// float CHW values in [-1, 1] for the VAE encoder.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { captionFromFileName } from '../dataset/fileNameCaption';
import { decodeImage, isImageFile, sharpFromRgb } from '../dataset/imageLoading';

export interface TrainingImage {
  path: string;
  /** The caption text as written (the template's [filewords]). */
  caption: string;
  /** Size and modification time, to know when a cached latent is stale. */
  size: number;
  mtimeMs: number;
}

export function listTrainingImages(folder: string): TrainingImage[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    throw new Error(`${folder}: cannot read the dataset folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the folder of images and caption .txt files with --data`);
  }
  const images = names.filter((n) => isImageFile(n)).sort();
  if (images.length === 0) throw new Error(`${folder}: no images found (png, jpg, webp, …); the dataset folder needs images with same-named caption .txt files`);
  return images.map((name) => {
    const path = join(folder, name);
    const stem = basename(name, extname(name));
    const captionPath = join(folder, `${stem}.txt`);
    const caption = existsSync(captionPath) ? readFileSync(captionPath, 'utf8').trim() : captionFromFileName(stem).caption;
    const stat = statSync(path);
    return { path, caption, size: stat.size, mtimeMs: stat.mtimeMs };
  });
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
