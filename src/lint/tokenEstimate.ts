// An estimate of a caption's CLIP token count, used until a real tokenizer is plugged in
// through `LintConfig.countTokens`. The heuristic: CLIP's BPE keeps common English words whole
// and splits long or rare ones, so each run of letters counts ceil(length / 6) tokens (at least
// one), each run of digits one, and every punctuation mark (commas included) one. Escapes
// (`\(`) count as the bracket alone, as A1111 unescapes them before tokenizing; its emphasis
// syntax (unescaped brackets, `:1.2)` weights) is no text and counts nothing.

// An escape (kept), a weight with its closing bracket, or an unescaped bracket (dropped).
const emphasisSyntax = /\\[\\()[\]]|:\s*[+-]?[.\d]+\s*\)|[()[\]]/g;

const letter = 0;
const digit = 1;
const space = 2;
const mark = 3;
const escape = 4;

export function estimateClipTokens(text: string): number {
  let tokens = 0;
  let letters = 0;
  let inDigits = false;
  const words = /[()[\]]/.test(text) ? text.replace(emphasisSyntax, (m) => (m[0] === '\\' ? m : ' ')) : text;
  // By UTF-16 unit, a surrogate pair taken as one character (no string per character: this
  // runs over every caption of a dataset on every full lint).
  for (let i = 0; i < words.length; i++) {
    const c = words.charCodeAt(i);
    let kind: number;
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) kind = letter;
    else if (c >= 48 && c <= 57) kind = digit;
    else if (c === 32 || c === 9 || c === 10 || c === 13) kind = space;
    else if (c === 92) kind = escape;
    else if (c < 128) kind = mark;
    else {
      const next = words.charCodeAt(i + 1);
      const wide = c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
      kind = kindOfNonAscii(wide ? words.slice(i, i + 2) : words[i]);
      if (wide) i++;
    }
    if (kind !== letter && letters > 0) {
      tokens += Math.ceil(letters / 6);
      letters = 0;
    }
    if (kind !== digit) inDigits = false;
    if (kind === letter) letters++;
    else if (kind === digit) {
      if (!inDigits) tokens++;
      inDigits = true;
    } else if (kind === mark) tokens++;
  }
  if (letters > 0) tokens += Math.ceil(letters / 6);
  return tokens;
}

const letterPattern = /\p{L}/u;
const digitPattern = /\p{N}/u;

function kindOfNonAscii(ch: string): number {
  if (/\s/.test(ch)) return space;
  if (letterPattern.test(ch)) return letter;
  if (digitPattern.test(ch)) return digit;
  return mark;
}

/** CLIP's context is 77 tokens: start, end, and 75 for the text. */
export const clipTokenLimit = 75;
