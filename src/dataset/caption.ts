// A1111 caption files: comma-separated tags, usually on one line. Parsing keeps the user's text
// untouched and records where every tag sits (offsets and LSP positions, UTF-16 code units),
// so diagnostics and fixes can point at exactly what the user wrote.
import type { Position, Range } from '../lint/types';

export interface CaptionTag {
  /** Position of the tag among the file's non-empty tags. */
  index: number;
  /** The tag as written, without surrounding whitespace. */
  raw: string;
  /** Offsets of `raw` in the text (end exclusive). */
  start: number;
  end: number;
  /** `start`–`end` as LSP positions (computed on first use). */
  readonly range: Range;
  /** Comparison form: lowercase, underscores and whitespace runs as one space, `\(`→`(`. */
  key: string;
  /** Offsets (in the text) of `(` or `)` not escaped with a backslash. */
  unescapedParens: number[];
  /** True when the tag writes its words with underscores (`long_hair`). */
  usesUnderscores: boolean;
  /** True when the tag has at least two words separated by spaces (`long hair`). */
  usesSpaces: boolean;
}

/** A stretch between two separators holding only whitespace (`a, , b`, a trailing comma). */
export interface EmptySegment {
  start: number;
  end: number;
}

export interface ParsedCaption {
  text: string;
  tags: CaptionTag[];
  emptySegments: EmptySegment[];
  /** Offset of the first character of every line. */
  lineStarts: number[];
  /** The distinct keys of `tags`. */
  keys: ReadonlySet<string>;
}

// Kaomoji tags (`^_^`, `>_<`, `o_o`) use the underscore as a drawing, not as a word separator.
const emoticonPattern = /^[^a-z0-9]*[a-z0-9]?_[a-z0-9]?[^a-z0-9]*$/i;
// Smileys (`:)`, `;(`, `=)`, `:-)`) whose bracket is a mouth, not emphasis.
const smileyPattern = /^[:;=8][-']?[()]$|^[()][-']?[:;=]$/;
const wordUnderscorePattern = /[\p{L}\p{N})]_[\p{L}\p{N}(]/u;

export function isEmoticonTag(raw: string): boolean {
  return raw.length <= 5 && (emoticonPattern.test(raw) || smileyPattern.test(raw));
}

/** The form tags are compared in: `Long_Hair` and `long  hair` are the same tag. */
export function tagKey(raw: string): string {
  return isPlainKey(raw) ? raw : tagKeyOfUnusual(raw);
}

/**
 * True when `raw` already is its own key: printable ASCII, no capitals, underscores or
 * backslashes, single spaces inside only. Most tags are; they skip the regular expressions.
 */
function isPlainKey(raw: string): boolean {
  const n = raw.length;
  if (n === 0 || raw.charCodeAt(0) === 32 || raw.charCodeAt(n - 1) === 32) return n === 0;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c < 32 || c > 126 || (c >= 65 && c <= 90) || c === 95 /* _ */ || c === 92 /* \ */ || (c === 32 && previous === 32)) return false;
    previous = c;
  }
  return true;
}

function tagKeyOfUnusual(raw: string): string {
  let text = raw.trim().toLowerCase();
  if (!isEmoticonTag(text)) text = text.replace(/_/g, ' ');
  return text.replace(/\\([()])/g, '$1').replace(/\s+/g, ' ').trim();
}

/** What a caption on one line (the usual) shares: no array of its own, frozen against changes. */
const singleLine: number[] = Object.freeze([0]) as unknown as number[];

export function computeLineStarts(text: string): number[] {
  let starts = singleLine;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      if (starts === singleLine) starts = [0];
      starts.push(i + 1);
    } else if (c === 10 /* \n */) {
      if (starts === singleLine) starts = [0];
      starts.push(i + 1);
    }
  }
  return starts;
}

export function positionAt(lineStarts: number[], offset: number): Position {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low, character: offset - lineStarts[low] };
}

export function offsetAt(lineStarts: number[], text: string, position: Position): number {
  if (position.line >= lineStarts.length) return text.length;
  const lineStart = lineStarts[Math.max(0, position.line)];
  return Math.min(text.length, lineStart + position.character);
}

export function rangeOf(caption: ParsedCaption, start: number, end: number): Range {
  return { start: positionAt(caption.lineStarts, start), end: positionAt(caption.lineStarts, end) };
}

/** Shared by every caption without empty tags (frozen: nobody may add to it). */
const noEmptySegments: EmptySegment[] = Object.freeze([]) as unknown as EmptySegment[];

export function parseCaption(text: string): ParsedCaption {
  const lineStarts = computeLineStarts(text);
  const keys = new Set<string>();
  const caption: ParsedCaption = { text, tags: [], emptySegments: noEmptySegments, lineStarts, keys };
  const hasComma = text.includes(',');
  // One pass: commas end segments, and inside a segment line breaks separate tags too. A
  // segment with no tag in it is an empty tag (`a, , b`, `a, b,`).
  const length = text.length;
  let segmentStart = 0;
  let segmentTags = 0;
  let pieceStart = 0;
  for (let i = 0; i <= length; i++) {
    const c = i < length ? text.charCodeAt(i) : 44;
    if (c !== 44 && c !== 10 && c !== 13) continue;
    let start = pieceStart;
    let end = i;
    while (start < end && isBlank(text.charCodeAt(start))) start++;
    while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
    if (start < end) {
      const tag = makeTag(caption, caption.tags.length, start, end);
      caption.tags.push(tag);
      keys.add(tag.key);
    }
    pieceStart = i + 1;
    if (c !== 44) continue;
    if (hasComma && caption.tags.length === segmentTags) {
      if (caption.emptySegments === noEmptySegments) caption.emptySegments = [];
      caption.emptySegments.push({ start: segmentStart, end: i });
    }
    segmentStart = i + 1;
    segmentTags = caption.tags.length;
  }
  return caption;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 0xa0 || c === 0x3000 || c === 0xfeff;
}

/** Shared by every tag without parentheses (frozen: nobody may add to it). */
const noParens: number[] = Object.freeze([]) as unknown as number[];

/**
 * One string object per distinct tag text. A dataset repeats a few thousand tags hundreds of
 * thousands of times: shared strings are a fraction of the memory (and of the garbage
 * collector's copying), and every later map lookup by key finds the very same string.
 */
const internedTagTexts = new Map<string, string>();

function intern(text: string): string {
  const known = internedTagTexts.get(text);
  if (known !== undefined) return known;
  if (internedTagTexts.size >= 200_000) internedTagTexts.clear(); // a bound, not a cache policy
  internedTagTexts.set(text, text);
  return text;
}

function makeTag(caption: ParsedCaption, index: number, start: number, end: number): CaptionTag {
  const raw = intern(caption.text.slice(start, end));
  // One scan for everything the common (plain ASCII) tag needs; see isPlainKey.
  let hasParen = false;
  let hasUnderscore = false;
  let hasSpace = false;
  let plain = true;
  let previous = 32; // a leading space is not plain
  for (let j = 0; j < raw.length; j++) {
    const c = raw.charCodeAt(j);
    if (c === 40 || c === 41) hasParen = true;
    else if (c === 95) hasUnderscore = true;
    else if (c === 32) {
      hasSpace = true;
      if (previous === 32) plain = false;
    }
    if (c < 32 || c > 126 || (c >= 65 && c <= 90) || c === 95 || c === 92) plain = false;
    previous = c;
  }
  if (previous === 32) plain = false;
  // Only a tag with an underscore or a bracket can be a kaomoji or smiley.
  const emoticon = (hasUnderscore || hasParen) && isEmoticonTag(raw);
  let unescapedParens = noParens;
  if (hasParen && !emoticon) {
    unescapedParens = [];
    for (let j = 0; j < raw.length; j++) {
      const ch = raw[j];
      if (ch === '\\') {
        j++; // the next character is escaped
        continue;
      }
      if (ch === '(' || ch === ')') unescapedParens.push(start + j);
    }
  }
  return new ParsedTag(
    caption.lineStarts,
    index,
    raw,
    start,
    end,
    plain ? raw : intern(tagKeyOfUnusual(raw)),
    unescapedParens,
    hasUnderscore && !emoticon && wordUnderscorePattern.test(raw),
    // A plain tag has single inner spaces only; anything else (tabs, other blanks) needs the full check.
    plain ? hasSpace : /\S\s+\S/.test(raw),
  );
}

/**
 * A tag of a parsed caption. A dataset holds hundreds of thousands of tags; the LSP range is
 * needed only for the few a problem or an edit points at, so it is made on first use.
 */
class ParsedTag implements CaptionTag {
  private cachedRange: Range | undefined = undefined;
  constructor(
    private readonly lineStarts: number[],
    readonly index: number,
    readonly raw: string,
    readonly start: number,
    readonly end: number,
    readonly key: string,
    readonly unescapedParens: number[],
    readonly usesUnderscores: boolean,
    // Inner whitespace other than a plain space (tab, no-break space) needs the full check.
    readonly usesSpaces: boolean,
  ) {}

  get range(): Range {
    if (!this.cachedRange) {
      // One line (the usual caption): positions are the offsets themselves.
      this.cachedRange =
        this.lineStarts.length === 1
          ? { start: { line: 0, character: this.start }, end: { line: 0, character: this.end } }
          : { start: positionAt(this.lineStarts, this.start), end: positionAt(this.lineStarts, this.end) };
    }
    return this.cachedRange;
  }
}
