import type { LintRule } from '../rule';
import type { TextEdit } from '../types';
import { codeOf, removeTagsEdits } from '../tagEdits';
import type { ParsedCaption } from '../../dataset/caption';

/** Indices of tags repeating an earlier tag of the same caption (compared by tag key). */
function duplicateIndices(caption: ParsedCaption): Map<number, number> {
  const first = new Map<string, number>();
  const duplicates = new Map<number, number>();
  for (const tag of caption.tags) {
    const seen = first.get(tag.key);
    if (seen === undefined) first.set(tag.key, tag.index);
    else duplicates.set(tag.index, seen);
  }
  return duplicates;
}

export const duplicateTagRule: LintRule = {
  id: 'duplicate-tag',
  defaultSeverity: 'warning',
  summary: 'A tag written twice in one caption.',
  doc:
    'Reports a tag that appears more than once in the same caption, compared case-insensitively and treating `long_hair`, `long hair` and `Long  Hair` as the same tag. A repeated tag adds no information, costs CLIP tokens, and gives that tag twice the weight when A1111 shuffles or drops tags. Fixes: remove this repetition, remove every repetition in the file, or in every caption of the dataset (the first occurrence is kept).',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const caption = target.caption;
    if (caption.keys.size === caption.tags.length) return; // every key once: nothing repeats
    const duplicates = duplicateIndices(caption);
    if (duplicates.size === 0) return;
    const fileFix = duplicates.size > 1
      ? [{ title: `Remove all ${duplicates.size} repeated tags in this caption`, edits: removeTagsEdits(target.file, caption, duplicates.keys()), scope: 'file' as const }]
      : [];
    const datasetFix = { title: 'Remove repeated tags in every caption of the dataset', edits: [], scope: 'dataset' as const, deferred: { rule: 'duplicate-tag', action: 'remove-duplicates' } };
    for (const [index, firstIndex] of duplicates) {
      const tag = caption.tags[index];
      context.report({
        range: tag.range,
        message: `${codeOf(tag.raw)} repeats tag ${firstIndex + 1} (${codeOf(caption.tags[firstIndex].raw)}) of this caption.`,
        data: { tag: tag.key },
        fixes: [
          { title: `Remove the repeated ${codeOf(tag.raw)}`, edits: removeTagsEdits(target.file, caption, [index]), isPreferred: true, scope: 'problem' },
          ...fileFix,
          datasetFix,
        ],
      });
    }
  },
  resolveDeferred(_fix, context) {
    const edits: TextEdit[] = [];
    for (const entry of context.index.captions()) {
      if (!entry.caption) continue;
      const duplicates = duplicateIndices(entry.caption);
      if (duplicates.size > 0) edits.push(...removeTagsEdits(entry.path, entry.caption, duplicates.keys()));
    }
    return edits;
  },
};
