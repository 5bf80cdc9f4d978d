// Image dimensions from file headers only (never decoding pixels). sharp reads PNG, JPEG,
// WebP and GIF headers; it has no BMP loader, so BMP headers are read here.
import { promises as fs } from 'node:fs';
import sharp from 'sharp';

export const imageExtensions = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.gif'];

export type ImageInfo =
  | { ok: true; width: number; height: number; format: string }
  | { ok: false; problem: string };

export async function readImageInfo(path: string, displayName = path): Promise<ImageInfo> {
  if (path.toLowerCase().endsWith('.bmp')) return readBmpInfo(path, displayName);
  try {
    const metadata = await sharp(path).metadata();
    if (!metadata.width || !metadata.height) {
      return { ok: false, problem: `${displayName}: the image header has no size; re-export the image.` };
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
