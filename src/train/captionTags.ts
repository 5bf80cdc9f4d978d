// A1111's caption augmentations (modules/textual_inversion/dataset.py, create_text): the caption
// is split on ',' (tags keep their leading spaces), each tag is dropped with probability
// `tag_drop_out` (kept when a draw is > p), the rest are shuffled (Fisher–Yates, as Python's
// random.shuffle), and joined again with ',' — exactly, without adding spaces.
import type { UniformSource } from './randomSource';

export interface TagAugmentation {
  shuffleTags: boolean;
  tagDropOut: number;
}

export function augmentCaptionTags(caption: string, options: TagAugmentation, random: UniformSource): string {
  let tags = caption.split(',');
  if (options.tagDropOut !== 0) tags = tags.filter(() => random.uniform() > options.tagDropOut);
  if (options.shuffleTags) shuffleInPlace(tags, random);
  return tags.join(',');
}

/** Python's random.shuffle: for i from n-1 down to 1, swap i with floor(u·(i+1)). */
export function shuffleInPlace<T>(items: T[], random: UniformSource): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.uniform() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
