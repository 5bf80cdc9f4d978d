import type { LintRule } from '../rule';
import type { TextEdit } from '../types';
import { codeOf, escapeParentheses } from '../tagEdits';
import type { ParsedCaption } from '../../dataset/caption';

function escapeEdits(file: string, caption: ParsedCaption): TextEdit[] {
  return caption.tags.filter((tag) => tag.unescapedParens.length > 0).map((tag) => ({ file, range: tag.range, newText: escapeParentheses(tag.raw) }));
}

export const unescapedParenthesesRule: LintRule = {
  id: 'unescaped-parentheses',
  defaultSeverity: 'warning',
  summary: 'Parentheses that A1111 reads as emphasis.',
  doc:
    'Reports `(` and `)` written without a backslash, as in `saber (fate)`. AUTOMATIC1111 puts the caption into the training prompt through `[filewords]`, and in a prompt parentheses mean emphasis: `saber (fate)` becomes `saber` plus a weighted `fate`, not the character tag. Danbooru-style qualifiers must be escaped: `saber \\(fate\\)`. Fixes: escape this tag, every tag of the file, or every tag of the dataset.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const caption = target.caption;
    const tags = caption.tags.filter((tag) => tag.unescapedParens.length > 0);
    if (tags.length === 0) return;
    const fileFix = tags.length > 1 ? [{ title: `Escape the parentheses of all ${tags.length} tags in this caption`, edits: escapeEdits(target.file, caption), scope: 'file' as const }] : [];
    for (const tag of tags) {
      const escaped = escapeParentheses(tag.raw);
      context.report({
        range: tag.range,
        message: `${codeOf(tag.raw)}: A1111 reads unescaped parentheses as emphasis, so this is not the tag it looks like. Write ${codeOf(escaped)}.`,
        data: { tag: tag.key },
        fixes: [
          { title: `Escape as ${codeOf(escaped)}`, edits: [{ file: target.file, range: tag.range, newText: escaped }], isPreferred: true, scope: 'problem' },
          ...fileFix,
          { title: 'Escape parentheses in every caption of the dataset', edits: [], scope: 'dataset', deferred: { rule: 'unescaped-parentheses', action: 'escape-all' } },
        ],
      });
    }
  },
  resolveDeferred(_fix, context) {
    const edits: TextEdit[] = [];
    for (const entry of context.index.captions()) if (entry.caption) edits.push(...escapeEdits(entry.path, entry.caption));
    return edits;
  },
};
