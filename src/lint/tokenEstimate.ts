// An estimate of a caption's CLIP token count, used until a real tokenizer is plugged in
// through `LintConfig.countTokens`. The heuristic: CLIP's BPE keeps common English words whole
// and splits long or rare ones, so each run of letters counts ceil(length / 6) tokens (at least
// one), each run of digits one, and every punctuation mark (commas included) one. Escapes
// (`\(`) count as the bracket alone, as A1111 unescapes them before tokenizing; its emphasis
// syntax (unescaped brackets, `:1.2)` weights) is no text and counts nothing.

// An escape (kept), a weight with its closing bracket, or an unescaped bracket (dropped).
const emphasisSyntax = /\\[\\()[\]]|:\s*[+-]?[.\d]+\s*\)|[()[\]]/g;

export function estimateClipTokens(text: string): number {
  let tokens = 0;
  let letters = 0;
  let inDigits = false;
  const words = /[()[\]]/.test(text) ? text.replace(emphasisSyntax, (m) => (m[0] === '\\' ? m : ' ')) : text;
  for (const ch of words) {
    const kind = charKind(ch);
    if (kind !== 'letter' && letters > 0) {
      tokens += Math.ceil(letters / 6);
      letters = 0;
    }
    if (kind !== 'digit') inDigits = false;
    if (kind === 'letter') letters++;
    else if (kind === 'digit') {
      if (!inDigits) tokens++;
      inDigits = true;
    } else if (kind === 'mark') tokens++;
  }
  if (letters > 0) tokens += Math.ceil(letters / 6);
  return tokens;
}

const letterPattern = /\p{L}/u;
const digitPattern = /\p{N}/u;

function charKind(ch: string): 'letter' | 'digit' | 'space' | 'mark' | 'escape' {
  const c = ch.charCodeAt(0);
  if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) return 'letter';
  if (c >= 48 && c <= 57) return 'digit';
  if (c === 32 || c === 9 || c === 10 || c === 13) return 'space';
  if (c === 92) return 'escape';
  if (c < 128) return 'mark';
  if (/\s/.test(ch)) return 'space';
  if (letterPattern.test(ch)) return 'letter';
  if (digitPattern.test(ch)) return 'digit';
  return 'mark';
}

/** CLIP's context is 77 tokens: start, end, and 75 for the text. */
export const clipTokenLimit = 75;
