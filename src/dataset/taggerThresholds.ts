// From a tagger's per-tag probabilities to the tags of one image: rating by argmax, general and
// character tags above their thresholds (0.35 / 0.85 by default, as the WD14 demos use), or above
// an MCut threshold (the midpoint of the largest gap between sorted scores), sorted by
// confidence, with exclusions removed and always-first tags in front.
import { captionTagName, defaultTagNameStyle, tagKey, type TagNameStyle } from './taggerTagNames';
import type { TagTable } from './selectedTags';

export interface ScoredTag {
  /** Published name (underscores). */
  name: string;
  score: number;
}

export interface TagSelectionOptions {
  generalThreshold: number;
  characterThreshold: number;
  /** Use MCut for general tags instead of the fixed threshold. */
  generalMcut: boolean;
  /** Use MCut for character tags (never below 0.15, as published). */
  characterMcut: boolean;
  /** Put the argmax rating tag into the caption (excluded by default). */
  includeRating: boolean;
  /** Tags never written (compared ignoring case, underscores and escapes). */
  exclude: string[];
  /** Tags written first, in this order (e.g. the embedding's name). */
  alwaysFirst: string[];
  style: TagNameStyle;
}

export const defaultTagSelection: TagSelectionOptions = {
  generalThreshold: 0.35,
  characterThreshold: 0.85,
  generalMcut: false,
  characterMcut: false,
  includeRating: false,
  exclude: [],
  alwaysFirst: [],
  style: defaultTagNameStyle,
};

export const characterMcutFloor = 0.15;

/** Midpoint of the largest gap between consecutive sorted scores (MCut). Needs two scores. */
export function mcutThreshold(scores: ArrayLike<number>): number {
  const sorted = Array.from(scores).sort((a, b) => b - a);
  if (sorted.length < 2) return sorted.length === 1 ? sorted[0] / 2 : 1;
  let gapAt = 0;
  for (let i = 1; i < sorted.length - 1; i++) if (sorted[i] - sorted[i + 1] > sorted[gapAt] - sorted[gapAt + 1]) gapAt = i;
  return (sorted[gapAt] + sorted[gapAt + 1]) / 2;
}

export interface ImageTagResult {
  /** The rating with the highest score, or null when the table has none. */
  rating: ScoredTag | null;
  /** General and character tags that passed, highest score first. */
  general: ScoredTag[];
  character: ScoredTag[];
  /** The caption's tags, formatted and in order: always-first, then all passing tags by score. */
  captionTags: string[];
  /** Thresholds that were applied (after MCut). */
  generalThreshold: number;
  characterThreshold: number;
}

export function selectTags(scores: ArrayLike<number>, table: TagTable, options: Partial<TagSelectionOptions> = {}): ImageTagResult {
  const o = { ...defaultTagSelection, ...options };
  if (scores.length !== table.tags.length) throw new Error(`${scores.length} scores for ${table.tags.length} tags`);
  const pick = (indices: number[]) => indices.map((i) => ({ name: table.tags[i].name, score: scores[i] }));
  const ratings = pick(table.ratingIndices);
  const rating = ratings.reduce<ScoredTag | null>((best, t) => (best === null || t.score > best.score ? t : best), null);
  const generalAll = pick(table.generalIndices);
  const characterAll = pick(table.characterIndices);
  const generalThreshold = o.generalMcut ? mcutThreshold(generalAll.map((t) => t.score)) : o.generalThreshold;
  const characterThreshold = o.characterMcut ? Math.max(characterMcutFloor, mcutThreshold(characterAll.map((t) => t.score))) : o.characterThreshold;
  const byScore = (a: ScoredTag, b: ScoredTag) => b.score - a.score;
  const general = generalAll.filter((t) => t.score > generalThreshold).sort(byScore);
  const character = characterAll.filter((t) => t.score > characterThreshold).sort(byScore);

  const excluded = new Set(o.exclude.map(tagKey));
  const seen = new Set<string>();
  const captionTags: string[] = [];
  const add = (text: string) => {
    const key = tagKey(text);
    if (seen.has(key) || excluded.has(key)) return;
    seen.add(key);
    captionTags.push(text);
  };
  for (const tag of o.alwaysFirst) add(tag.trim());
  const passing = [...character, ...general, ...(o.includeRating && rating ? [rating] : [])].sort(byScore);
  for (const tag of passing) add(captionTagName(tag.name, o.style));
  return { rating, general, character, captionTags, generalThreshold, characterThreshold };
}
