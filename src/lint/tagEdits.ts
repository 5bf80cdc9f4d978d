// Edits over caption text that keep the file's layout: removing tags takes one separator with
// each, replacing keeps the tag's place, appending follows the file's `, ` style.
import type { ParsedCaption, CaptionTag } from '../dataset/caption';
import { rangeOf } from '../dataset/caption';
import type { TextEdit } from './types';

export function replaceTagEdit(file: string, caption: ParsedCaption, tag: CaptionTag, newText: string): TextEdit {
  return { file, range: tag.range, newText };
}

/**
 * Removes the tags at these indices. A removed tag takes the separator before it (or, for the
 * leading tags, the one after), so `a, b, c` minus `b` is `a, c`, never `a, , c`.
 */
export function removeTagsEdits(file: string, caption: ParsedCaption, indices: Iterable<number>): TextEdit[] {
  const tags = caption.tags;
  if (Array.isArray(indices) && indices.length === 1 && tags.length > 1) {
    // The common case, one tag: take the separator before it (after it for the first tag).
    const i = indices[0] as number;
    const [start, end] = i > 0 ? [tags[i - 1].end, tags[i].end] : [tags[0].start, tags[1].start];
    return [{ file, range: rangeOf(caption, start, end), newText: '' }];
  }
  const removed = new Set(indices);
  if (removed.size === 0) return [];
  const spans: Array<[number, number]> = [];
  if (removed.size >= tags.length) {
    // Everything goes: empty the file (keeping a final line break if it had one).
    const ending = /\r?\n$/.exec(caption.text)?.[0] ?? '';
    return [{ file, range: rangeOf(caption, 0, caption.text.length - ending.length), newText: '' }];
  }
  let firstKept = 0;
  while (removed.has(firstKept)) firstKept++;
  if (firstKept > 0) spans.push([tags[0].start, tags[firstKept].start]);
  for (const i of removed) {
    if (i < firstKept) continue;
    spans.push([tags[i - 1].end, tags[i].end]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([span[0], span[1]]);
  }
  return merged.map(([start, end]) => ({ file, range: rangeOf(caption, start, end), newText: '' }));
}

export function appendTagEdit(file: string, caption: ParsedCaption, tagText: string): TextEdit {
  const last = caption.tags[caption.tags.length - 1];
  if (!last) return { file, range: rangeOf(caption, 0, 0), newText: tagText };
  return { file, range: rangeOf(caption, last.end, last.end), newText: `, ${tagText}` };
}

export function replaceFileEdit(file: string, caption: ParsedCaption, newText: string): TextEdit {
  return { file, range: rangeOf(caption, 0, caption.text.length), newText };
}

/** `leaf` written the way this dataset writes tags (`maple_leaf` in an underscore dataset). */
export function spellLike(tagText: string, underscores: boolean): string {
  return underscores && tagText.includes(' ') ? tagText.replace(/ /g, '_') : tagText;
}

/** Escapes A1111 emphasis brackets: `saber (fate)` → `saber \(fate\)`. */
export function escapeParentheses(raw: string): string {
  return raw.replace(/\\?([()])/g, '\\$1');
}

export function codeOf(tag: string): string {
  return '`' + (tag.includes('`') ? tag.replace(/`/g, "'") : tag) + '`';
}
