import type { LintRule } from '../rule';
import { codeOf, removeTagsEdits } from '../tagEdits';

export const rareTagRule: LintRule = {
  id: 'rare-tag',
  defaultSeverity: 'hint',
  summary: 'A tag used by one caption only.',
  doc:
    'Hints at tags that appear in exactly one caption of a dataset of at least 5 captions. A tag seen once gets almost no training signal of its own, and is often a typo of a common tag (`lond hair`), a tagger’s stray guess, or a detail worth checking. Keep it when it is true and matters for that image; otherwise remove or correct it. `ignoreTags` in `.embedding-studio/tag-advice.json` silences a tag.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const { caption, file } = target;
    let seen: Set<string> | undefined; // made for the rare problems only: most captions have none
    for (const tag of caption.tags) {
      if (!context.dataset.isRareTag(tag.key) || seen?.has(tag.key) || context.settings.ignoreTags.has(tag.key)) continue;
      (seen ??= new Set()).add(tag.key);
      context.report({
        range: tag.range,
        message: `${codeOf(tag.raw)} is used by this caption only: check it is not a typo or a stray tagger guess.`,
        data: { tag: tag.key },
        fixes: () => [{ title: `Remove ${codeOf(tag.raw)}`, edits: removeTagsEdits(file, caption, caption.tags.filter((t) => t.key === tag.key).map((t) => t.index)), scope: 'problem' }],
      });
    }
  },
};
