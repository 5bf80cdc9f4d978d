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

/**
 * Decodes a file (or encoded bytes) to upright 8-bit sRGB with alpha flattened onto the background.
 * Data lost inside the file is an error too: libjpeg only warns on it ("Corrupt JPEG data:
 * premature end of data segment") and decodes the rest as grey.
 */
export async function decodeImage(input: string | Buffer, options: DecodeOptions, label = typeof input === 'string' ? input : '<buffer>'): Promise<RgbImage> {
  // pages 1 takes the first frame of an animated GIF/WebP
  const decode = async (failOn: 'warning' | 'truncated'): Promise<RgbImage> => {
    const { data, info } = await sharp(input, { failOn, autoOrient: true, pages: 1 })
      .toColourspace('srgb')
      .flatten({ background: options.background })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { data, width: info.width, height: info.height };
  };
  // libvips' warning events are not kept apart between images decoded at once, but a warning
  // made an error (failOn 'warning') belongs to its own image: decode strictly first, and only
  // when that fails find out whether the file is cut short (an error at 'truncated' too) or
  // merely carries a harmless warning (an sRGB profile libpng dislikes).
  let strictFailure: unknown;
  try {
    return await decode('warning');
  } catch (error) {
    strictFailure = error;
  }
  // damaged files are judged one at a time: libvips' error words are not kept apart either
  return oneAtATime(async () => {
    let image: RgbImage;
    try {
      image = await decode('truncated');
    } catch (error) {
      throw new ImageDecodeError(label, firstLine(error));
    }
    const warning = await strictWarning(strictFailure, () => decode('warning'));
    if (warning && isDataLoss(warning)) throw new ImageDecodeError(label, `corrupt image data: ${warning}; parts of the picture would come out grey`);
    return image;
  });
}

/** libvips warnings that mean lost image data (others, such as profile complaints, do not). */
export function isDataLoss(warning: string): boolean {
  return /corrupt|premature end|not enough (image )?data|truncat|bad huffman|crc error|invalid (?:data|code|distance|block type)|decompression error|too much image data|bad adaptive filter|incorrect (?:data|header) check/i.test(warning);
}

let queue: Promise<unknown> = Promise.resolve();

/** Runs `work` after every earlier call's work has finished (this process's damaged-file judgements). */
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const turn = queue.then(work);
  queue = turn.catch(() => undefined);
  return turn;
}

/**
 * The warning a strict decode failed on. Decoded at the same time as others, libvips may word it
 * only as "Warning treated as error": then it is decoded strictly once more, for its own words.
 */
async function strictWarning(failure: unknown, again: () => Promise<unknown>): Promise<string | undefined> {
  const specific = (error: unknown) => {
    const line = (error instanceof Error ? error.message : String(error)).split('\n')[0].replace(/^Vips\w*:\s*/, '').trim();
    return /^Warning treated as error|^$|^unknown error$/i.test(line) ? undefined : line;
  };
  const first = specific(failure);
  if (first) return first;
  try {
    await again();
    return undefined;
  } catch (error) {
    return specific(error);
  }
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
