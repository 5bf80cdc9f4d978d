import type { LintRule } from '../rule';
import type { TextEdit } from '../types';
import { traitCategoryOf } from '../knowledge/traits';
import { fixedTraitShare } from '../datasetStats';
import { codeOf, removeTagsEdits } from '../tagEdits';

export const fixedTraitRule: LintRule = {
  id: 'fixed-trait',
  defaultSeverity: 'hint',
  summary: 'A trait (hair, eyes…) named in nearly every caption.',
  doc:
    'Hints at trait tags (hair colour, length and style, eye colour, body features such as `animal ears`) present in at least 80% of the captions. A trait the character always has is what the embedding should learn; when every caption names it, training attributes it to that tag instead, and the embedding alone will not reproduce it. Remove such tags from the captions (keep the ones that vary between images). Fixes: remove it here, or from every caption of the dataset. Needs at least 5 captions; `ignoreTags` in `.embedding-studio/tag-advice.json` silences a tag.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const fixed = context.dataset.fixedTraits();
    if (fixed.length === 0) return;
    const caption = target.caption;
    const seen = new Set<string>();
    for (const tag of caption.tags) {
      if (!fixed.includes(tag.key) || context.settings.ignoreTags.has(tag.key) || seen.has(tag.key)) continue;
      seen.add(tag.key);
      context.report({
        range: tag.range,
        // No exact counts here: they would tie every caption to every other caption's edits.
        message: `${codeOf(tag.raw)} (${traitCategoryOf(tag.key)}) is in nearly every caption (at least ${Math.round(fixedTraitShare * 100)}%): it is part of the character, so let the embedding learn it rather than naming it in every caption.`,
        data: { tag: tag.key },
        fixes: [
          { title: `Remove ${codeOf(tag.raw)}`, edits: removeTagsEdits(target.file, caption, [tag.index]), scope: 'problem' },
          { title: `Remove ${codeOf(tag.key)} from every caption of the dataset`, edits: [], scope: 'dataset', deferred: { rule: 'fixed-trait', action: 'remove-all', tag: tag.key } },
        ],
      });
    }
  },
  resolveDeferred(fix, context) {
    const edits: TextEdit[] = [];
    if (!fix.tag) return edits;
    for (const path of context.index.filesWithTag(fix.tag)) {
      const caption = context.index.getCaption(path)?.caption;
      if (caption) edits.push(...removeTagsEdits(path, caption, caption.tags.filter((t) => t.key === fix.tag).map((t) => t.index)));
    }
    return edits;
  },
};
