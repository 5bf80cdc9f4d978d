// The WD14 taggers' published input preparation, step for step: composite transparency onto
// white, pad to a centred white square, bicubic resize to the model's size as Pillow does it
// (only when the square differs from it), RGB → BGR, float 0–255 with no normalisation, NHWC.
// Deviating (black padding, 0–1 scaling, RGB order, another resampler) silently lowers the
// tagger's accuracy, so this must not be "improved". One deliberate addition: EXIF orientation
// is applied, so the tagger sees the image upright as the user does (the published script tags
// the stored pixel order).
import { decodeImage, type RgbImage } from './imageLoading';
import { resizeBicubicLikePillow } from './pillowBicubic';

const white = '#ffffff';

/** `size × size × 3` floats in BGR order, 0–255, for one image (one NHWC batch row). */
export async function taggerInput(file: string | Buffer, size: number, label?: string): Promise<Float32Array> {
  return taggerInputFromRgb(await decodeImage(file, { background: white }, label), size);
}

/** The same from already decoded pixels (alpha already flattened on white). */
export function taggerInputFromRgb(image: RgbImage, size: number): Float32Array {
  const side = Math.max(image.width, image.height);
  const left = Math.floor((side - image.width) / 2);
  const top = Math.floor((side - image.height) / 2);
  let square: Uint8Array = image.data;
  if (side !== image.width || side !== image.height) {
    square = new Uint8Array(side * side * 3).fill(255);
    for (let y = 0; y < image.height; y++) square.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((top + y) * side + left) * 3);
  }
  const pixels = side === size ? square : resizeBicubicLikePillow(square, side, side, size, size);
  const input = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    input[3 * i] = pixels[3 * i + 2];
    input[3 * i + 1] = pixels[3 * i + 1];
    input[3 * i + 2] = pixels[3 * i];
  }
  return input;
}
