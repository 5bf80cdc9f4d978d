// Mirrored copies double a dataset for free, except for asymmetric characters: a mirrored image
// swaps which eye has which colour, so the embedding learns heterochromia both ways round
// (the tutorial's advice: do not use the mirror option for such characters).

export const mirrorRefusalReason =
  'mirrored copies swap left and right, so a character with heterochromia (different eye colours) would learn the eye colours both ways round';

/** True when a caption (comma-separated tags, any weighting/escaping) mentions heterochromia. */
export function captionMentionsHeterochromia(caption: string): boolean {
  return caption
    .split(',')
    .map((tag) => tag.toLowerCase().replace(/_/g, ' '))
    .some((tag) => /\bheterochromia\b/.test(tag));
}

export interface CaptionSource {
  file: string;
  text: string;
}

/** The files whose captions (or tagger results) forbid mirrored copies. */
export function mirrorBlockers(captions: Iterable<CaptionSource>): string[] {
  const files: string[] = [];
  for (const { file, text } of captions) if (captionMentionsHeterochromia(text)) files.push(file);
  return files;
}

export class MirrorRefusedError extends Error {
  constructor(readonly files: string[]) {
    const shown = files.slice(0, 3).join(', ') + (files.length > 3 ? ` and ${files.length - 3} more` : '');
    super(`mirrored copies refused: ${shown} ${files.length === 1 ? 'is' : 'are'} tagged heterochromia — ${mirrorRefusalReason}; run again without mirroring`);
    this.name = 'MirrorRefusedError';
  }
}
