// The tutorial's hand-cropped 1:1 images: the user draws a square on an image (in the crop
// review) and it is saved at the training size. The region is in upright image pixels (what the
// user sees, EXIF rotation applied); a region that is not quite square is grown to a square.
import { writeFileAtomic } from './atomicWrite';
import { decodeImage, sharpFromRgb } from './imageLoading';
import { squareAround } from './targetedCrops';
import type { CropRectangle } from './focalPoint';

export interface ManualCropOptions {
  source: string;
  region: CropRectangle;
  /** Where the PNG goes; the review overwrites the preprocessed image the user chose to re-crop. */
  target: string;
  size?: number;
  background?: string;
}

export async function saveManualCrop(options: ManualCropOptions): Promise<CropRectangle> {
  const { region } = options;
  if (![region.left, region.top, region.width, region.height].every(Number.isFinite) || region.width <= 0 || region.height <= 0) {
    throw new Error(`${options.source}: the crop ${JSON.stringify(region)} is empty — draw a square on the image`);
  }
  const image = await decodeImage(options.source, { background: options.background ?? '#ffffff' });
  const rounded = { left: Math.round(region.left), top: Math.round(region.top), width: Math.round(region.width), height: Math.round(region.height) };
  const square = squareAround(rounded, image.width, image.height);
  const size = options.size ?? 512;
  const png = await sharpFromRgb(image).extract(square).resize(size, size, { fit: 'fill', kernel: 'lanczos3' }).png().toBuffer();
  await writeFileAtomic(options.target, png);
  return square;
}
