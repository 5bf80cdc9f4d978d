// Decodes any training image into one predictable form: 8-bit sRGB, 3 channels, upright.
// Every format quirk is handled here once (EXIF rotation, alpha, CMYK, 16-bit, animated GIF),
// so cropping, focal-point analysis and the tagger all see the same pixels the user sees.
import sharp from 'sharp';
import { extname } from 'node:path';

/** Extensions we treat as training images (lower case, with the dot). */
export const imageExtensions: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);

export function isImageFile(path: string): boolean {
  return imageExtensions.has(extname(path).toLowerCase());
}

/** Packed 8-bit RGB pixels, row-major, top row first. */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

export interface DecodeOptions {
  /** Colour that transparent pixels are composited onto, e.g. '#ffffff'. */
  background: string;
}

/** Thrown for a file that cannot be decoded; carries the file and a readable reason. */
export class ImageDecodeError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: cannot read the image (${reason}) — the file may be truncated or not an image; re-export or remove it`);
    this.name = 'ImageDecodeError';
  }
}

/** Decodes a file (or encoded bytes) to upright 8-bit sRGB with alpha flattened onto the background. */
export async function decodeImage(input: string | Buffer, options: DecodeOptions, label = typeof input === 'string' ? input : '<buffer>'): Promise<RgbImage> {
  const warnings: string[] = [];
  let corrupt: string | undefined;
  try {
    // failOn 'truncated' rejects half-written files instead of silently padding them with grey;
    // pages 1 takes the first frame of an animated GIF/WebP.
    const { data, info } = await sharp(input, { failOn: 'truncated', autoOrient: true, pages: 1 })
      .on('warning', (warning: string) => warnings.push(warning))
      .toColourspace('srgb')
      .flatten({ background: options.background })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    corrupt = corruptionWarning(warnings);
    if (!corrupt) return { data, width: info.width, height: info.height };
  } catch (error) {
    throw new ImageDecodeError(label, firstLine(error));
  }
  throw new ImageDecodeError(label, `corrupt image data: ${corrupt}; parts of the picture would come out grey`);
}

/**
 * The first libvips warning that means lost image data. libjpeg only warns on data damaged
 * inside the file ("Corrupt JPEG data: premature end of data segment") and decodes the rest
 * as grey; harmless warnings (an sRGB profile libpng dislikes) are not counted.
 */
export function corruptionWarning(warnings: readonly string[]): string | undefined {
  const found = warnings.find((w) => /corrupt|premature end|not enough data|truncat|bad huffman|crc error|invalid (?:data|code)|decompression error/i.test(w));
  return found?.replace(/^Vips\w*:\s*/, '').trim();
}

/** A sharp pipeline that starts from decoded pixels (for crop/resize/encode steps). */
export function sharpFromRgb(image: RgbImage): sharp.Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n')[0].trim();
  // libvips sometimes loses its error text between threads and says only "Unknown error": still
  // tell the user what such a failure almost always is.
  if (line === '' || /^unknown error$/i.test(line)) return `the decoder gave no reason (${line || 'empty message'}); the file is most likely truncated or corrupt`;
  return line;
}
