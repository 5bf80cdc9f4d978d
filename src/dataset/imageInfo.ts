// Image dimensions from file headers only (never decoding pixels). sharp reads PNG, JPEG,
// WebP and GIF headers; it has no BMP loader, so BMP headers are read here. Plain PNG headers
// are also read here: a sharp metadata call costs ~0.1 ms of CPU each, which dominated
// indexing 10,000-image datasets; anything the PNG reader is unsure of still goes to sharp.
import { promises as fs, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import sharp from 'sharp';
import { crc32 } from './crc32';
import { decodeImage, ImageDecodeError, imageExtensions as trainingImageExtensions } from './imageLoading';

/** The extensions of images, as training reads them (one list: lint indexes what training trains). */
export const imageExtensions: readonly string[] = [...trainingImageExtensions];

export type ImageInfo =
  | { ok: true; width: number; height: number; format: string }
  | { ok: false; problem: string };

export async function readImageInfo(path: string, displayName = path): Promise<ImageInfo> {
  const lower = path.toLowerCase();
  if (lower.endsWith('.bmp')) return readBmpInfo(path, displayName);
  if (lower.endsWith('.png')) {
    const size = readPlainPngSize(path);
    if (size) return { ok: true, width: size.width, height: size.height, format: 'png' };
  }
  try {
    const metadata = await sharp(path).metadata();
    if (!metadata.width || !metadata.height) {
      return { ok: false, problem: `${displayName}: the image header has no size; re-export the image.` };
    }
    // The header alone passes a truncated file: a PNG or JPEG must also end as one does, and
    // one that does not is decoded, to say exactly what training would say of it.
    if ((metadata.format === 'png' || metadata.format === 'jpeg') && !endsCompletely(readFileTail(path), metadata.format)) {
      const problem = await verifyImageData(path, displayName);
      if (problem) return { ok: false, problem };
    }
    // EXIF orientations 5–8 rotate by 90°: the picture the trainer sees is transposed.
    const rotated = (metadata.orientation ?? 1) >= 5;
    return {
      ok: true,
      width: rotated ? metadata.height : metadata.width,
      height: rotated ? metadata.width : metadata.height,
      format: metadata.format ?? 'unknown',
    };
  } catch (error) {
    return {
      ok: false,
      problem: `${displayName} could not be read as an image (${firstLine(error)}); it is damaged or not an image. Re-export it or move it out of the dataset.`,
    };
  }
}

/**
 * Lint (the CLI and the caption server) decodes every image of a dataset of up to this many, as
 * training does (~20 ms a 1024² JPEG): textual-inversion datasets are tens to hundreds of images.
 * Larger folders get header and file-end checks only; training still decodes and skips.
 */
export const fullDecodeImageLimit = 1000;

/** What training, preprocessing and tagging say of an image they cannot use; lint says the same. */
export function unusableImageMessage(displayName: string, reason: string): string {
  return `${displayName} cannot be used (${reason}): training, preprocessing and tagging skip it. Re-export it from the original, or move it out of the dataset.`;
}

/**
 * Decodes the whole image as training and preprocessing do (damaged data included: libjpeg only
 * warns on it); undefined when it decodes cleanly, else the problem in the words of
 * unusableImageMessage.
 */
export async function verifyImageData(path: string, displayName = path): Promise<string | undefined> {
  try {
    await decodeImage(path, { background: '#ffffff' }, displayName);
    return undefined;
  } catch (error) {
    return unusableImageMessage(displayName, error instanceof ImageDecodeError ? error.reason : error instanceof Error ? error.message : String(error));
  }
}

/** Bytes read from the end of a file to see that it ends as a complete PNG or JPEG does. */
export const imageTailBytes = 1024;

/** The last `imageTailBytes` of a file (fewer for a small one); empty when it cannot be read. */
export function readFileTail(path: string, length = imageTailBytes): Buffer {
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const n = Math.min(size, length);
      const tail = Buffer.alloc(n);
      readSync(fd, tail, 0, n, size - n);
      return tail;
    } finally {
      closeSync(fd);
    }
  } catch {
    return Buffer.alloc(0);
  }
}

const pngEnd = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * A PNG ends with its IEND chunk; a JPEG has its end-of-image marker FF D9 near the end
 * (encoders may pad after it; inside the entropy-coded data FF is never followed by D9).
 * False only asks for a decode: some valid files carry trailing data.
 */
export function endsCompletely(tail: Buffer, format: 'png' | 'jpeg'): boolean {
  if (format === 'png') return tail.length >= 12 && tail.subarray(tail.length - 12).equals(pngEnd);
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return false;
}

/** How much of a PNG is read looking for the first IDAT chunk (past any eXIf chunk). */
export const pngProbeBytes = 4096;
/** Shared by every (synchronous) probe; nothing keeps a reference to it past parsing. */
const pngProbeBuffer = Buffer.alloc(pngProbeBytes);
/** sharp's default `limitInputPixels`: larger images must fail the way sharp fails them. */
const sharpPixelLimit = 0x3fff * 0x3fff;

/**
 * The size of a PNG whose IHDR is valid and which has no eXIf chunk before its image data, or
 * undefined for anything else (damaged, rotated by EXIF, unusual): sharp then decides.
 */
export function readPlainPngSize(path: string): { width: number; height: number } | undefined {
  // A synchronous read: a few microseconds, where a thread-pool open/read/close costs far more
  // (the index build yields to the event loop between batches).
  const header = pngProbeBuffer;
  let bytesRead: number;
  let complete: boolean;
  try {
    const fd = openSync(path, 'r');
    try {
      bytesRead = readSync(fd, header, 0, pngProbeBytes, 0);
      const size = fstatSync(fd).size;
      const tail = Buffer.alloc(Math.min(12, size));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      complete = endsCompletely(tail, 'png');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  // a PNG cut short is not plain: readImageInfo decodes it and says what is wrong
  return complete ? parsePlainPngHeader(header.subarray(0, bytesRead)) : undefined;
}

const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bit depths PNG allows for each colour type. */
const pngBitDepths: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

export function parsePlainPngHeader(header: Buffer): { width: number; height: number } | undefined {
  if (header.length < 33) return undefined;
  for (let i = 0; i < 8; i++) if (header[i] !== pngSignature[i]) return undefined;
  if (header.readUInt32BE(8) !== 13 || header.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  if (crc32(header, 12, 29) !== header.readUInt32BE(29)) return undefined;
  const width = header.readUInt32BE(16);
  const height = header.readUInt32BE(20);
  const [bitDepth, colourType, compression, filter, interlace] = [header[24], header[25], header[26], header[27], header[28]];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff || width * height > sharpPixelLimit) return undefined;
  if (!pngBitDepths[colourType]?.includes(bitDepth) || compression !== 0 || filter !== 0 || interlace > 1) return undefined;
  // Walk the chunks up to the image data: an eXIf chunk may carry an orientation, which sharp reports.
  let offset = 33;
  while (offset + 8 <= header.length) {
    const type = header.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT') return { width, height };
    if (type === 'eXIf' || type === 'IEND') return undefined;
    offset += 12 + header.readUInt32BE(offset);
  }
  return undefined;
}

async function readBmpInfo(path: string, displayName: string): Promise<ImageInfo> {
  let header: Buffer;
  try {
    const handle = await fs.open(path, 'r');
    try {
      header = Buffer.alloc(26);
      const { bytesRead } = await handle.read(header, 0, 26, 0);
      header = header.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { ok: false, problem: `${displayName} could not be opened (${firstLine(error)}).` };
  }
  return parseBmpHeader(header, displayName);
}

/** BITMAPFILEHEADER (14 bytes) then a DIB header whose size says its layout. */
export function parseBmpHeader(header: Uint8Array, displayName: string): ImageInfo {
  const bad = (why: string): ImageInfo => ({
    ok: false,
    problem: `${displayName} is not a readable BMP (${why}); re-export it as PNG.`,
  });
  if (header.length < 26) return bad('file too short');
  if (header[0] !== 0x42 || header[1] !== 0x4d) return bad("missing 'BM' signature");
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const dibSize = view.getUint32(14, true);
  let width: number;
  let height: number;
  if (dibSize === 12) {
    // OS/2 BITMAPCOREHEADER: 16-bit sizes.
    width = view.getUint16(18, true);
    height = view.getUint16(20, true);
  } else if (dibSize >= 40) {
    width = view.getInt32(18, true);
    height = Math.abs(view.getInt32(22, true)); // negative height = rows stored top-down
  } else {
    return bad(`unknown DIB header size ${dibSize}`);
  }
  if (width <= 0 || height <= 0) return bad(`size ${width}×${height}`);
  return { ok: true, width, height, format: 'bmp' };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
