import type { LintRule } from '../rule';
import type { TextEdit } from '../types';
import type { CaptionTag, ParsedCaption } from '../../dataset/caption';
import { codeOf } from '../tagEdits';

type Style = 'underscores' | 'spaces';

function converted(tag: CaptionTag, to: Style): string {
  return to === 'spaces' ? tag.raw.replace(/_+/g, ' ').replace(/ {2,}/g, ' ') : tag.raw.replace(/\s+/g, '_');
}

function offending(caption: ParsedCaption, majority: Style): CaptionTag[] {
  return caption.tags.filter((tag) => (majority === 'spaces' ? tag.usesUnderscores : tag.usesSpaces && !tag.usesUnderscores));
}

function convertEdits(file: string, caption: ParsedCaption, majority: Style): TextEdit[] {
  return offending(caption, majority).map((tag) => ({ file, range: tag.range, newText: converted(tag, majority) }));
}

export const underscoreStyleRule: LintRule = {
  id: 'underscore-style',
  defaultSeverity: 'information',
  summary: 'Tags written with underscores in a dataset that uses spaces, or the reverse.',
  doc:
    'Compares how each caption writes multi-word tags (`long_hair` or `long hair`) with how most captions of the dataset write them, and reports the tags that go the other way. CLIP tokenises `long_hair` and `long hair` differently, so a dataset that mixes both spreads one concept over two spellings. Kaomoji such as `^_^` are left alone. Fixes: convert this tag, every tag of the file, or every caption of the dataset to the majority style.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const majority = context.dataset.underscoreMajority();
    if (!majority) return;
    const caption = target.caption;
    const tags = offending(caption, majority);
    if (tags.length === 0) return;
    const styleWords = majority === 'spaces' ? 'spaces' : 'underscores';
    const fileFix = { title: `Write every tag of this caption with ${styleWords}`, edits: convertEdits(target.file, caption, majority), scope: 'file' as const, isPreferred: true };
    const datasetFix = { title: `Write every tag of the dataset with ${styleWords}`, edits: [], scope: 'dataset' as const, deferred: { rule: 'underscore-style', action: 'convert-all', replacement: majority } };
    for (const tag of tags) {
      const fixed = converted(tag, majority);
      context.report({
        range: tag.range,
        message: `${codeOf(tag.raw)} is written with ${majority === 'spaces' ? 'underscores' : 'spaces'}, but most captions of this dataset use ${styleWords} (${codeOf(fixed)}): CLIP tokenises the two spellings differently.`,
        data: { tag: tag.key },
        fixes: [{ title: `Write ${codeOf(fixed)}`, edits: [{ file: target.file, range: tag.range, newText: fixed }], scope: 'problem' }, fileFix, datasetFix],
      });
    }
  },
  resolveDeferred(fix, context) {
    const majority = fix.replacement as Style | undefined;
    if (majority !== 'spaces' && majority !== 'underscores') return [];
    const edits: TextEdit[] = [];
    for (const entry of context.index.captions()) if (entry.caption) edits.push(...convertEdits(entry.path, entry.caption, majority));
    return edits;
  },
};
