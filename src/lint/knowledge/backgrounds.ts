// Background tags. The tutorial: simple backgrounds work best, because a busy background is
// learned along with the character.

const simpleBackgrounds = new Set(['simple background', 'plain background', 'transparent background', 'gradient background', 'two-tone background', 'blurry background', 'abstract background']);
const complexBackgrounds = new Set([
  'detailed background', 'scenery', 'outdoors', 'indoors', 'city', 'cityscape', 'street', 'crowd', 'forest', 'landscape', 'ocean',
  'beach', 'field', 'nature', 'town', 'architecture', 'east asian architecture', 'stage', 'cafe', 'restaurant', 'shop', 'classroom',
  'bedroom', 'library', 'train interior', 'night city', 'building', 'buildings', 'cherry blossoms', 'mountain', 'garden', 'park',
]);

export type BackgroundKind = 'simple' | 'complex';

/** `null`: known to be none (one lookup, where `undefined` would need a second). */
const backgroundKindOfMemo = new Map<string, BackgroundKind | null>();

/** Memoised: a dataset's vocabulary is asked about again and again. */
export function backgroundKindOf(key: string): BackgroundKind | undefined {
  let result = backgroundKindOfMemo.get(key);
  if (result === undefined) {
    result = computeBackgroundKindOf(key) ?? null;
    if (backgroundKindOfMemo.size > 100_000) backgroundKindOfMemo.clear();
    backgroundKindOfMemo.set(key, result);
  }
  return result ?? undefined;
}

function computeBackgroundKindOf(key: string): BackgroundKind | undefined {
  if (simpleBackgrounds.has(key)) return 'simple';
  if (/^[a-z -]+ background$/.test(key) && !key.startsWith('detailed')) return 'simple'; // `white background`, `light blue background`
  if (complexBackgrounds.has(key)) return 'complex';
  return undefined;
}
