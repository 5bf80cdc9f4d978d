// Background tags. The tutorial: simple backgrounds work best, because a busy background is
// learned along with the character.
import { memoisedByKey } from './keyMemo';

const simpleBackgrounds = new Set(['simple background', 'plain background', 'transparent background', 'gradient background', 'two-tone background', 'blurry background', 'abstract background']);
const complexBackgrounds = new Set([
  'detailed background', 'scenery', 'outdoors', 'indoors', 'city', 'cityscape', 'street', 'crowd', 'forest', 'landscape', 'ocean',
  'beach', 'field', 'nature', 'town', 'architecture', 'east asian architecture', 'stage', 'cafe', 'restaurant', 'shop', 'classroom',
  'bedroom', 'library', 'train interior', 'night city', 'building', 'buildings', 'cherry blossoms', 'mountain', 'garden', 'park',
]);

export type BackgroundKind = 'simple' | 'complex';

/** Memoised: a dataset's vocabulary is asked about again and again. */
export const backgroundKindOf: (key: string) => BackgroundKind | undefined = memoisedByKey(computeBackgroundKindOf);

function computeBackgroundKindOf(key: string): BackgroundKind | undefined {
  if (simpleBackgrounds.has(key)) return 'simple';
  if (/^[a-z -]+ background$/.test(key) && !key.startsWith('detailed')) return 'simple'; // `white background`, `light blue background`
  if (complexBackgrounds.has(key)) return 'complex';
  return undefined;
}
