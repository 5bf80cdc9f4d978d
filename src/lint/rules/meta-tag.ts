import type { LintRule } from '../rule';
import type { TextEdit } from '../types';
import { metaTags } from '../knowledge/metaTags';
import { codeOf, removeTagsEdits } from '../tagEdits';
import type { ParsedCaption } from '../../dataset/caption';

const groupWords: Record<string, string> = {
  resolution: 'the file’s resolution',
  bookkeeping: 'the image board’s bookkeeping',
  rating: 'a content rating',
  quality: 'a prompt quality word',
};

function metaIndices(caption: ParsedCaption, ignore: Set<string>): number[] {
  return caption.tags.filter((tag) => metaTags.has(tag.key) && !ignore.has(tag.key)).map((tag) => tag.index);
}

export const metaTagRule: LintRule = {
  id: 'meta-tag',
  defaultSeverity: 'warning',
  summary: 'A tag that describes the file or the site, not the picture.',
  doc:
    'Reports tags that describe the file rather than what is drawn: resolution classes (`absurdres`, `highres`, `lowres`), image-board bookkeeping (`commentary request`, `translated`, `bad id`, `bad pixiv id`, `official art`), ratings (`general`, `sensitive`, `questionable`, `explicit`, `safe`) and prompt quality words (`masterpiece`, `best quality`). Taggers and image boards add them, but the embedding cannot see them in the picture, so they only waste CLIP tokens and blur what the caption means. Marks that are visible in the picture (`watermark`, `signature`, `artist name`, `dated`) are not meta tags: keep them so the tag, not the embedding, absorbs the mark (or crop the mark out). Fixes: remove the tag, every meta tag of the file, or every meta tag of the dataset. Tags listed in `ignoreTags` of `.embedding-studio/tag-advice.json` are left alone.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const caption = target.caption;
    const indices = metaIndices(caption, context.settings.ignoreTags);
    if (indices.length === 0) return;
    const fileFix = indices.length > 1
      ? [{ title: `Remove all ${indices.length} meta tags in this caption`, edits: removeTagsEdits(target.file, caption, indices), scope: 'file' as const }]
      : [];
    for (const index of indices) {
      const tag = caption.tags[index];
      context.report({
        range: tag.range,
        message: `${codeOf(tag.raw)} is ${groupWords[metaTags.get(tag.key)!]}, not something in the picture: the embedding cannot learn it. Remove it.`,
        data: { tag: tag.key },
        fixes: [
          { title: `Remove ${codeOf(tag.raw)}`, edits: removeTagsEdits(target.file, caption, [index]), isPreferred: true, scope: 'problem' },
          ...fileFix,
          { title: 'Remove meta tags from every caption of the dataset', edits: [], scope: 'dataset', deferred: { rule: 'meta-tag', action: 'remove-all' } },
        ],
      });
    }
  },
  resolveDeferred(_fix, context) {
    const edits: TextEdit[] = [];
    for (const entry of context.index.captions()) {
      if (!entry.caption) continue;
      edits.push(...removeTagsEdits(entry.path, entry.caption, metaIndices(entry.caption, context.settings.ignoreTags)));
    }
    return edits;
  },
};
