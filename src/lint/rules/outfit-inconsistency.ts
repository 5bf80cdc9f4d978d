import type { LintRule } from '../rule';
import type { LintFix } from '../types';
import { isClothingTag } from '../knowledge/clothing';
import { appendTagEdit, codeOf, spellLike } from '../tagEdits';
import { prefersUnderscores } from '../captionStyle';
import { rangeOf } from '../../dataset/caption';

export const outfitInconsistencyRule: LintRule = {
  id: 'outfit-inconsistency',
  defaultSeverity: 'warning',
  summary: 'Clothing that differs from the outfit most images share.',
  doc:
    'Compares each caption’s clothing tags (shirts, skirts, dresses, uniforms, gloves, legwear, shoes, hats… and anything ending with those words) with the outfit of the dataset: the clothing tags at least 60% of captions share. It reports a caption that lacks part of that outfit, and a clothing tag worn in 25% of images or fewer. The tutorial: the outfit must be the same in every image, or its details come out blurred or wrong. Usually the image should be replaced; if the caption merely forgot a visible piece, the fix adds the missing tag. Needs at least 4 captions.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    // A caption without an image trains nothing (orphan-caption says so); its outfit is moot.
    if (!context.dataset.hasImage(target.entry.stemKey)) return;
    const caption = target.caption;
    const outfit = context.dataset.outfitMajority();
    const keysHere = caption.keys;
    const missing = outfit.filter((key) => !keysHere.has(key));
    if (missing.length > 0) {
      const underscores = prefersUnderscores(caption);
      const fixes: LintFix[] = missing.map((key) => ({
        title: `Add ${codeOf(spellLike(context.index.tagSpelling(key), underscores))} (only if the image shows it)`,
        edits: [appendTagEdit(target.file, caption, spellLike(key, underscores))],
        scope: 'problem' as const,
      }));
      const range = caption.tags[0]?.range ?? rangeOf(caption, 0, 0);
      const total = context.dataset.captionCount();
      const described = missing.map((key) => `${codeOf(key)} (${context.dataset.tagFileCount(key)} of ${total})`).join(', ');
      context.report({
        range,
        message: `This image lacks the outfit most images share: ${described}. The outfit must be the same in every image, or its details blur; replace the image, or add the tag if it is visible.`,
        data: { missing },
        fixes,
      });
    }
    if (outfit.length === 0) return;
    for (const tag of caption.tags) {
      if (!isClothingTag(tag.key) || !context.dataset.isOutfitOutlier(tag.key)) continue;
      const total = context.dataset.captionCount();
      context.report({
        range: tag.range,
        message: `${codeOf(tag.raw)} is worn in only ${context.dataset.tagFileCount(tag.key)} of ${total} images, while most wear ${outfit.slice(0, 3).map(codeOf).join(', ')}: a different outfit blurs the one the embedding learns. Prefer an image in the usual outfit.`,
        data: { tag: tag.key },
      });
    }
  },
};
