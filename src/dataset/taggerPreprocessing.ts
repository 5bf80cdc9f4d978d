// The WD14 taggers' published input preparation, step for step: composite transparency onto
// white, pad to a centred white square, bicubic resize to the model's size (only when the square
// differs from it), RGB → BGR, float 0–255 with no normalisation, NHWC. Deviating (black padding,
// 0–1 scaling, RGB order) silently lowers the tagger's accuracy, so this must not be "improved".
// One deliberate addition: EXIF orientation is applied, so the tagger sees the image upright as
// the user does (the published script tags the stored pixel order).
import sharp from 'sharp';
import { decodeImage } from './imageLoading';

const white = '#ffffff';

/** `size × size × 3` floats in BGR order, 0–255, for one image (one NHWC batch row). */
export async function taggerInput(file: string | Buffer, size: number, label?: string): Promise<Float32Array> {
  const image = await decodeImage(file, { background: white }, label);
  const side = Math.max(image.width, image.height);
  const left = Math.floor((side - image.width) / 2);
  const top = Math.floor((side - image.height) / 2);
  let square = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (side !== image.width || side !== image.height) {
    square = sharp(
      await square.extend({ left, top, right: side - image.width - left, bottom: side - image.height - top, background: white }).raw().toBuffer(),
      { raw: { width: side, height: side, channels: 3 } },
    );
  }
  const pixels = side === size ? await square.raw().toBuffer() : await square.resize(size, size, { kernel: 'cubic', fit: 'fill' }).raw().toBuffer();
  const input = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    input[3 * i] = pixels[3 * i + 2];
    input[3 * i + 1] = pixels[3 * i + 1];
    input[3 * i + 2] = pixels[3 * i];
  }
  return input;
}
