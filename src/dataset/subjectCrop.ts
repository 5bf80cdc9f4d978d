// Subject-aware cropping: when a tagger is configured, a crop should keep what the picture is
// about (the character, the main objects), not just the busiest texture. A scorer rates candidate
// crops (e.g. how many of the whole image's tags a tagger still finds in each); detail breaks ties.
import type { RgbImage } from './imageLoading';
import { detailOfCrops, slidingCrops, type CropRectangle } from './focalPoint';

/** Higher = the crop keeps more of the subject. One score per crop, same order. */
export type SubjectScorer = (image: RgbImage, crops: CropRectangle[]) => Promise<number[]>;

/** How much the (normalised) detail counts next to the (normalised) subject score: a tie-breaker. */
export const detailShare = 0.05;

export async function subjectAwareCrop(image: RgbImage, aspect: number, analysis: RgbImage, scorer: SubjectScorer, candidates = 5): Promise<CropRectangle> {
  const crops = slidingCrops(image.width, image.height, aspect, candidates);
  if (crops.length === 1) return crops[0];
  const normalise = (values: number[]) => {
    const max = Math.max(...values);
    return values.map((v) => (max > 0 ? v / max : 0));
  };
  const detail = normalise(detailOfCrops(image.width, image.height, analysis, crops));
  const subject = normalise(await scorer(image, crops));
  let best = 0;
  const centre = (crops.length - 1) / 2;
  const score = (i: number) => subject[i] + detailShare * detail[i];
  for (let i = 1; i < crops.length; i++) {
    const better = score(i) > score(best) + 1e-9 || (Math.abs(score(i) - score(best)) <= 1e-9 && Math.abs(i - centre) < Math.abs(best - centre));
    if (better) best = i;
  }
  return crops[best];
}

/** Copies a rectangle out of packed RGB pixels. */
export function extractRgb(image: RgbImage, rect: CropRectangle): RgbImage {
  const data = Buffer.alloc(rect.width * rect.height * 3);
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.top + y) * image.width + rect.left) * 3;
    image.data.copy(data, y * rect.width * 3, from, from + rect.width * 3);
  }
  return { data, width: rect.width, height: rect.height };
}
