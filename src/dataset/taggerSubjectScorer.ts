// A SubjectScorer backed by the auto-tagger: the whole image is tagged once, and each candidate
// crop scores the summed probabilities of those tags (general and character) it still shows, so
// the crop that keeps the character wins over one that keeps only background texture.
import type { Tagger } from './tagger';
import { taggerInputFromRgb } from './taggerPreprocessing';
import { selectTags, type TagSelectionOptions } from './taggerThresholds';
import { extractRgb, type SubjectScorer } from './subjectCrop';

export function taggerSubjectScorer(tagger: Tagger, selection: Partial<TagSelectionOptions> = {}): SubjectScorer {
  return async (image, crops) => {
    const inputs = [image, ...crops.map((c) => extractRgb(image, c))].map((i) => taggerInputFromRgb(i, tagger.model.size));
    const [whole, ...parts] = await tagger.scoreAll(inputs);
    const kept = selectTags(whole, tagger.tags, { ...selection, exclude: [], alwaysFirst: [] });
    const names = new Set([...kept.general, ...kept.character].map((t) => t.name));
    const indices = tagger.tags.tags.flatMap((t, i) => (names.has(t.name) ? [i] : []));
    return parts.map((scores) => indices.reduce((sum, i) => sum + scores[i], 0));
  };
}
