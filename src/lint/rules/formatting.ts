import type { LintRule } from '../rule';
import type { TextEdit } from '../types';
import { rangeOf, type ParsedCaption } from '../../dataset/caption';
import { collapseWhitespace, formatParsedCaption } from '../../dataset/captionFormat';
import { codeOf, replaceFileEdit } from '../tagEdits';

interface LayoutProblem {
  start: number;
  end: number;
  message: string;
  /** Canonical text for [start, end). */
  replacement: string;
}

/** The file's ending the formatter keeps: one line break if the file had one. */
function canonicalEnding(text: string): string {
  return /\r\n$/.test(text) ? '\r\n' : /[\r\n]$/.test(text) ? '\n' : '';
}

function layoutProblems(caption: ParsedCaption): LayoutProblem[] {
  const { text, tags } = caption;
  const problems: LayoutProblem[] = [];
  if (tags.length === 0) {
    if (text.trim() !== '') problems.push({ start: 0, end: text.length, message: 'This caption holds separators but no tags.', replacement: '' });
    else if (text !== '' && text !== canonicalEnding(text)) problems.push({ start: 0, end: text.length, message: 'This caption holds only blank space.', replacement: '' });
    return problems;
  }
  const leading = text.slice(0, tags[0].start);
  if (leading !== '') {
    problems.push({
      start: 0,
      end: tags[0].start,
      message: leading.includes(',') ? 'Empty tag at the start of the caption (a leading comma).' : 'Blank space before the first tag.',
      replacement: '',
    });
  }
  for (let i = 0; i + 1 < tags.length; i++) {
    const a = tags[i];
    const b = tags[i + 1];
    const gap = text.slice(a.end, b.start);
    if (gap === ', ') continue;
    const commas = (gap.match(/,/g) ?? []).length;
    let message: string;
    if (commas >= 2) message = `Empty tag between ${codeOf(a.raw)} and ${codeOf(b.raw)} (doubled comma).`;
    else if (/[\r\n]/.test(gap)) {
      message = commas === 0
        ? `Line break without a comma between ${codeOf(a.raw)} and ${codeOf(b.raw)}: A1111 splits tags on commas only, so it reads them as one tag.`
        : `Tags continue on a new line after ${codeOf(a.raw)}: keep a caption on one line, as A1111 writes it.`;
    } else if (gap === ',') message = `Missing space after the comma after ${codeOf(a.raw)}.`;
    else message = `Extra blank space around the comma between ${codeOf(a.raw)} and ${codeOf(b.raw)}.`;
    problems.push({ start: a.end, end: b.start, message, replacement: ', ' });
  }
  const last = tags[tags.length - 1];
  const trailing = text.slice(last.end);
  const ending = canonicalEnding(text);
  if (trailing !== ending) {
    problems.push({
      start: last.end,
      end: text.length,
      message: trailing.includes(',') ? 'Empty tag at the end of the caption (a trailing comma).' : 'Blank space or extra line breaks after the last tag.',
      replacement: ending,
    });
  }
  for (const tag of tags) {
    const collapsed = collapseWhitespace(tag.raw);
    if (collapsed !== tag.raw) {
      problems.push({ start: tag.start, end: tag.end, message: `Extra blank space inside ${codeOf(collapsed)}.`, replacement: collapsed });
    }
  }
  return problems.sort((x, y) => x.start - y.start);
}

/**
 * True when the caption certainly is `tag, tag, tag` already (most are): a scan of the text,
 * where formatting it and comparing builds a second copy of every caption. False means "look".
 */
function isCanonicalLayout(caption: ParsedCaption): boolean {
  const { text, tags } = caption;
  if (tags.length === 0 || tags[0].start !== 0) return text === '';
  for (let i = 0; i + 1 < tags.length; i++) {
    const end = tags[i].end;
    if (tags[i + 1].start !== end + 2 || text.charCodeAt(end) !== 44 || text.charCodeAt(end + 1) !== 32) return false;
  }
  const rest = text.length - tags[tags.length - 1].end;
  if (!(rest === 0 || (rest === 1 && text.endsWith('\n')) || (rest === 2 && text.endsWith('\r\n')))) return false;
  for (const tag of tags) {
    let previous = 0;
    for (let i = tag.start; i < tag.end; i++) {
      const c = text.charCodeAt(i);
      // Control characters, doubled spaces and anything outside ASCII (other blanks) need the full check.
      if (c < 32 || c > 126 || (c === 32 && previous === 32)) return false;
      previous = c;
    }
  }
  return true;
}

export const formattingRule: LintRule = {
  id: 'formatting',
  defaultSeverity: 'warning',
  summary: 'Empty tags, stray or doubled commas, missing or extra spaces, tags split over lines.',
  doc:
    'Checks the caption’s layout against the one AUTOMATIC1111 writes and reads: tags separated by a comma and one space, on one line, with no empty tags (`a, , b`, a leading or trailing comma), no blank space before the first or after the last tag (one final line break is fine), and single spaces inside tags. A1111 splits `[filewords]` on commas only, so a tag on a new line without a comma merges with its neighbour, and empty tags take part in tag shuffling and dropout as blanks. Fixes: correct this spot, normalise the whole file to `tag, tag, tag`, or normalise every caption of the dataset; tag text itself (case, underscores, escapes) is never changed.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const caption = target.caption;
    if (isCanonicalLayout(caption)) return;
    const formatted = formatParsedCaption(caption);
    if (formatted === caption.text) return;
    const problems = layoutProblems(caption);
    const fileFix = { title: 'Normalise this caption to `tag, tag, tag`', edits: [replaceFileEdit(target.file, caption, formatted)], scope: 'file' as const, isPreferred: true };
    const datasetFix = { title: 'Normalise the formatting of every caption of the dataset', edits: [], scope: 'dataset' as const, deferred: { rule: 'formatting', action: 'format-all' } };
    if (problems.length === 0) {
      context.report({ range: rangeOf(caption, 0, 0), message: 'This caption’s layout differs from `tag, tag, tag`.', fixes: [fileFix, datasetFix] });
      return;
    }
    for (const problem of problems) {
      const range = rangeOf(caption, problem.start, problem.end);
      context.report({
        range,
        message: problem.message,
        fixes: [
          { title: problem.replacement === ', ' ? 'Replace with `, `' : problem.replacement.trim() === '' ? 'Remove the stray separators and space' : `Write ${codeOf(problem.replacement)}`, edits: [{ file: target.file, range, newText: problem.replacement }], scope: 'problem' },
          fileFix,
          datasetFix,
        ],
      });
    }
  },
  resolveDeferred(_fix, context) {
    const edits: TextEdit[] = [];
    for (const entry of context.index.captions()) {
      if (!entry.caption) continue;
      const formatted = formatParsedCaption(entry.caption);
      if (formatted !== entry.caption.text) edits.push(replaceFileEdit(entry.path, entry.caption, formatted));
    }
    return edits;
  },
};
