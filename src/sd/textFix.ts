// ftfy.fix_text (ftfy 6.x, default settings), the clean-up transformers' CLIPTokenizer runs
// before BPE when ftfy is installed — as it is in AUTOMATIC1111 and ComfyUI installs. Written
// from ftfy's documented steps and their order (ftfy/__init__.py fix_and_explain, ftfy/fixes.py):
// the text is fixed line by line (each segment ends after a '\n'); each line repeats the steps
// below until nothing changes:
//   unescape_html → fix_encoding → fix_c1_controls → fix_latin_ligatures →
//   fix_character_width → uncurl_quotes → fix_line_breaks → fix_surrogates →
//   remove_terminal_escapes → remove_control_chars → NFC
// HTML is unescaped only while no line so far has held a '<' (ftfy turns it off for the rest of
// the text at the first line with one: it is probably real HTML).
//
// fix_encoding (mojibake repair) is only partly done: ftfy decides whether text "looks bad"
// with a heuristic over some 400 characters, and we do not carry that heuristic. We treat text
// as bad exactly when it holds a C1 control character (U+0080–U+009F), which ftfy's heuristic
// always counts as bad, and then try what ftfy tries first: the text's Latin-1 bytes, then its
// sloppy Windows-1252 bytes, decoded as UTF-8; then Latin-1 read as Windows-1252; then C1
// controls one by one as Windows-1252. Mojibake without a C1 character (`Ã©`, `â€™`) is left as
// it is; ftfy would repair it. See README "Differences from AUTOMATIC1111".
import { htmlNamedCharacterReferences } from './htmlEntities';

/** Windows-1252 for bytes 0x80–0x9F; the five bytes it leaves undefined stay themselves (ftfy's "sloppy" codec, and HTML's rule). */
const windows1252High = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];
const windows1252Undefined = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);
/** Character → byte in sloppy Windows-1252 (only the characters that are not Latin-1 themselves). */
const sloppy1252Bytes = new Map<number, number>(windows1252High.map((code, i) => [code, 0x80 + i]));

// ---- unescape_html ---------------------------------------------------------------------------

const htmlEntityPattern = /&#?[0-9A-Za-z]{1,24};/g;
let entityTable: Map<string, string> | undefined;

/** ftfy's table: every `&name;` of the HTML5 list, plus the upper-case form of lower-case names when that form means nothing to html.unescape. */
function entities(): Map<string, string> {
  if (entityTable) return entityTable;
  const table = new Map<string, string>();
  const named = new Map(Object.entries(htmlNamedCharacterReferences));
  for (const [name, value] of named) {
    if (!name.endsWith(';')) continue;
    table.set(`&${name}`, value);
    if (name === name.toLowerCase()) {
      const upper = name.toUpperCase();
      if (!htmlUnescapeChangesName(upper, named)) table.set(`&${upper}`, value.toUpperCase());
    }
  }
  entityTable = table;
  return table;
}

/** Whether Python's html.unescape would decode `&` + name (name ends in ';'): the name itself, or its longest legacy prefix. */
function htmlUnescapeChangesName(name: string, named: ReadonlyMap<string, string>): boolean {
  if (named.has(name)) return true;
  for (let length = name.length - 1; length > 1; length--) if (named.has(name.slice(0, length))) return true;
  return false;
}

// Python's html.unescape for numeric references: HTML5's replacements for 0 and 0x80–0x9F (Windows-1252),
// U+FFFD past U+10FFFF and for surrogates, nothing for the characters HTML forbids.
function htmlCharacterReference(code: number): string {
  if (code === 0) return '\ufffd';
  if (code === 0x0d) return '\r';
  if (code >= 0x80 && code <= 0x9f) return String.fromCodePoint(windows1252High[code - 0x80]);
  if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return '\ufffd';
  if ((code >= 0x1 && code <= 0x8) || code === 0xb || (code >= 0xe && code <= 0x1f) || code === 0x7f || (code >= 0xfdd0 && code <= 0xfdef) || (code & 0xfffe) === 0xfffe) return '';
  return String.fromCodePoint(code);
}

function unescapeEntity(match: string): string {
  const known = entities().get(match);
  if (known !== undefined) return known;
  if (!match.startsWith('&#')) return match;
  // html.unescape decodes the longest numeric prefix; if the ';' is not part of it (or the result is ';'), ftfy keeps the text.
  const numeric = /^&#(?:([0-9]+)|[xX]([0-9a-fA-F]+));$/.exec(match);
  if (!numeric) return match;
  const code = numeric[1] !== undefined ? parseDigits(numeric[1], 10) : parseDigits(numeric[2], 16);
  const decoded = htmlCharacterReference(code);
  return decoded.includes(';') ? match : decoded;
}

/** Digits to a number, saturating far above U+10FFFF (up to 23 digits fit the pattern). */
function parseDigits(digits: string, radix: number): number {
  const trimmed = digits.replace(/^0+(?=.)/, '');
  return trimmed.length > 12 ? Number.MAX_SAFE_INTEGER : parseInt(trimmed, radix);
}

export function unescapeHtml(text: string): string {
  return text.includes('&') ? text.replace(htmlEntityPattern, unescapeEntity) : text;
}

// ---- fix_encoding (the C1-control part; see the header) -----------------------------------------

const c1Pattern = /[\x80-\x9f]/;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function latin1Bytes(text: string): Uint8Array | null {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return null;
    bytes[i] = c;
  }
  return bytes;
}

function sloppyWindows1252Bytes(text: string): Uint8Array | null {
  const bytes: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c === 0xfffd) bytes.push(0x1a);
    else if (c === 0x1a) return null;
    else if (c < 0x80 || c >= 0xa0 ? c <= 0xff : windows1252Undefined.has(c)) bytes.push(c);
    else {
      const b = sloppy1252Bytes.get(c);
      if (b === undefined) return null;
      bytes.push(b);
    }
  }
  return Uint8Array.from(bytes);
}

function decodeUtf8(bytes: Uint8Array): string | null {
  // ftfy reads bytes with 0xED or 0xC0 in them as its UTF-8 variant (CESU-8, Java's NUL); we only take strict UTF-8
  if (bytes.includes(0xed) || bytes.includes(0xc0)) return null;
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return null;
  }
}

function windows1252FromLatin1(bytes: Uint8Array): string | null {
  let out = '';
  for (const b of bytes) {
    if (b >= 0x80 && b <= 0x9f) {
      if (windows1252Undefined.has(b)) return null;
      out += String.fromCodePoint(windows1252High[b - 0x80]);
    } else out += String.fromCharCode(b);
  }
  return out;
}

function fixEncodingOnce(text: string): string {
  if (!c1Pattern.test(text)) return text;
  const latin1 = latin1Bytes(text);
  if (latin1) {
    const decoded = decodeUtf8(latin1);
    if (decoded !== null) return decoded;
  }
  const sloppy = sloppyWindows1252Bytes(text);
  if (sloppy) {
    const decoded = decodeUtf8(sloppy);
    if (decoded !== null) return decoded;
  }
  // (ftfy means to skip this when the text is also valid Windows-1252, but its check never matches: it always tries)
  if (latin1) {
    const decoded = windows1252FromLatin1(latin1);
    if (decoded !== null && decoded !== text) return decoded;
  }
  return fixC1Controls(text);
}

function fixEncoding(text: string): string {
  for (;;) {
    const next = fixEncodingOnce(text);
    if (next === text) return text;
    text = next;
  }
}

// ---- the character fixers ------------------------------------------------------------------------

export function fixC1Controls(text: string): string {
  return text.replace(/[\x80-\x9f]/g, (c) => String.fromCodePoint(windows1252High[c.charCodeAt(0) - 0x80]));
}

// Latin ligatures and the digraphs kept for legacy encodings (not æ/œ, which are meant).
const latinLigatures: ReadonlyMap<string, string> = new Map([
  ['\u0132', 'IJ'], ['\u0133', 'ij'], ['\u0149', '\u02bcn'], ['\u01f1', 'DZ'], ['\u01f2', 'Dz'], ['\u01f3', 'dz'],
  ['\u01c4', 'D\u017d'], ['\u01c5', 'D\u017e'], ['\u01c6', 'd\u017e'], ['\u01c7', 'LJ'], ['\u01c8', 'Lj'], ['\u01c9', 'lj'],
  ['\u01ca', 'NJ'], ['\u01cb', 'Nj'], ['\u01cc', 'nj'], ['\ufb00', 'ff'], ['\ufb01', 'fi'], ['\ufb02', 'fl'], ['\ufb03', 'ffi'],
  ['\ufb04', 'ffl'], ['\ufb05', '\u017ft'], ['\ufb06', 'st'],
]);
const ligaturePattern = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;

export function fixLatinLigatures(text: string): string {
  return text.replace(ligaturePattern, (c) => latinLigatures.get(c) ?? c);
}

/** Halfwidth and fullwidth forms (U+FF01–U+FFEF) to their NFKC forms, U+3000 to a space. */
export function fixCharacterWidth(text: string): string {
  return text.replace(/[\u3000\uff01-\uffef]/g, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
}

export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n|[\r\u2028\u2029\u0085]/g, '\n');
}

/** Lone surrogates become U+FFFD (paired ones are already one character in JavaScript). */
function fixSurrogates(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

// Python's \d in a str pattern is any decimal digit, not only 0–9.
export function removeTerminalEscapes(text: string): string {
  return text.includes('\x1b') ? text.replace(/\x1b\[((?:\p{Nd}|;)*)([a-zA-Z])/gu, '') : text;
}

/** ftfy's list: C0 controls but tab, line feed, form feed and carriage return; DEL; deprecated Arabic format characters; the BOM; interlinear annotations; U+FFFC. */
export function removeControlChars(text: string): string {
  return text.replace(/[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g, '');
}

function fixSegment(segment: string, unescape: boolean): string {
  let text = segment;
  for (;;) {
    const before = text;
    if (unescape) text = unescapeHtml(text);
    text = fixEncoding(text);
    text = fixC1Controls(text);
    text = fixLatinLigatures(text);
    text = fixCharacterWidth(text);
    text = uncurlQuotes(text);
    text = fixLineBreaks(text);
    text = fixSurrogates(text);
    text = removeTerminalEscapes(text);
    text = removeControlChars(text);
    text = text.normalize('NFC');
    if (text === before) return text;
  }
}

/** ftfy.fix_text with its defaults (mojibake repair limited as the header says). */
export function fixText(text: string): string {
  let out = '';
  let unescape = true;
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline + 1;
    const segment = text.slice(start, end);
    if (segment.includes('<')) unescape = false;
    out += fixSegment(segment, unescape);
    start = end;
  }
  return out;
}
