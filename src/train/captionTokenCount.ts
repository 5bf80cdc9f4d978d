// How many CLIP tokens AUTOMATIC1111 feeds the text encoder for a caption: the emphasis syntax
// (`(tag:1.2)`, `[tag]`) is not text, `\(` is the bracket, and each emphasis piece is tokenized
// on its own (modules/sd_hijack_clip.py tokenizes the pieces of parse_prompt_attention one by
// one) — the same pieces `encodeTrainingPrompt` tokenizes.
//
// Fast because the same tags recur across thousands of captions: CLIP's pre-tokenisation cuts
// at every change between letters, digits and punctuation and at whitespace, so a comma with
// a letter, digit or space on each side is a token of its own, and the count of the text is the
// sum of the counts of the stretches between such commas plus one per comma. Each stretch
// (usually one tag) is counted once by the tokenizer and remembered. A comma touching other
// punctuation (`\(fate\),`) can merge with it into one BPE word, so it is not cut there: that
// stretch is counted whole, and the result stays exact.
import { parsePromptAttention } from './promptEmphasis';

/** The tokenizer call needed here (`ClipTokenizer` satisfies it). */
export interface ClipTokenCounting {
  tokenCount(text: string): number;
}

// Enough for the distinct tags of any real dataset; past it, stretches are counted uncached.
const maxRememberedStretches = 200_000;
const emphasisSyntax = /[()[\]\\]/;
const letterOrDigit = /^[\p{L}\p{N}]/u;
const endsInLetterOrDigit = /[\p{L}\p{N}]$/u;

export class CaptionTokenCounter {
  private readonly stretchCounts = new Map<string, number>();
  private readonly wordCounts = new Map<string, number>();

  constructor(private readonly tokenizer: ClipTokenCounting) {}

  /** The CLIP token count of a caption as A1111 tokenizes it (without BOS/EOS). */
  readonly count = (caption: string): number => {
    // Without brackets or backslashes the emphasis parser returns the text unchanged as one piece.
    if (!emphasisSyntax.test(caption)) return this.countPiece(caption);
    let total = 0;
    for (const piece of parsePromptAttention(caption)) total += this.countPiece(piece.text);
    return total;
  };

  private countPiece(text: string): number {
    // ftfy's clean-up looks at a whole line for two things: a '<' turns HTML unescaping off, and a
    // C1 control may be mojibake to decode as a whole; such text is counted without cutting it.
    if ((text.includes('<') && text.includes('&')) || c1Control.test(text)) return this.tokenizer.tokenCount(text);
    let total = 0;
    let start = 0;
    for (let i = text.indexOf(','); i >= 0; i = text.indexOf(',', i + 1)) {
      if (!commaStandsAlone(text, i)) continue;
      total += this.countStretch(text.slice(start, i)) + 1;
      start = i + 1;
    }
    return total + this.countStretch(start === 0 ? text : text.slice(start));
  }

  private countStretch(stretch: string): number {
    // Whitespace at the ends is no token: CLIP's clean-up trims it.
    const key = stretch.trim();
    if (key === '') return 0;
    let count = this.stretchCounts.get(key);
    if (count === undefined) {
      count = plainAscii.test(key) ? this.countPlainAscii(key) : this.tokenizer.tokenCount(key);
      if (this.stretchCounts.size < maxRememberedStretches) this.stretchCounts.set(key, count);
    }
    return count;
  }

  /**
   * ASCII letters, digits and spaces only (most tags): CLIP's clean-up changes nothing but the
   * case, every digit is a token, and every run of letters one BPE word, counted once per dataset.
   */
  private countPlainAscii(stretch: string): number {
    let count = 0;
    let wordStart = -1;
    for (let i = 0; i <= stretch.length; i++) {
      const c = i < stretch.length ? stretch.charCodeAt(i) | 0x20 : 0;
      if (c >= 97 && c <= 122) {
        if (wordStart < 0) wordStart = i;
        continue;
      }
      if (wordStart >= 0) {
        count += this.countWord(stretch.slice(wordStart, i).toLowerCase());
        wordStart = -1;
      }
      if (c >= 48 && c <= 57) count++; // a digit (the case bit leaves 0x30–0x39 as they are)
    }
    return count;
  }

  private countWord(word: string): number {
    let count = this.wordCounts.get(word);
    if (count === undefined) {
      count = this.tokenizer.tokenCount(word);
      if (this.wordCounts.size < maxRememberedStretches) this.wordCounts.set(word, count);
    }
    return count;
  }
}

const plainAscii = /^[a-zA-Z0-9 ]+$/;
const c1Control = /[\x80-\x9f]/;

/**
 * True when the comma at `i` is surely a pre-token of its own: each neighbour is an ASCII space,
 * tab or line break, the end of the text, or a character that stays a letter or digit after
 * CLIP's clean-up and lower-casing. Anything else (punctuation, marks, control characters,
 * other spaces) might be cleaned away or merge with the comma, so we do not cut there.
 */
function commaStandsAlone(text: string, i: number): boolean {
  return (i === 0 || separatesBefore(text, i - 1)) && (i === text.length - 1 || separatesAfter(text, i + 1));
}

function isAsciiWordOrSpace(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 32 || c === 9 || c === 10 || c === 13;
}

function separatesBefore(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (c < 128) return isAsciiWordOrSpace(c);
  // A low surrogate: take the whole code point.
  const start = c >= 0xdc00 && c <= 0xdfff && at > 0 ? at - 1 : at;
  const ch = text.slice(start, at + 1);
  // `İ` lower-cases to `i` + a combining dot, which would join the comma: test the lower-cased form.
  return endsInLetterOrDigit.test(ch.normalize('NFC').toLowerCase());
}

function separatesAfter(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  if (c < 128) return isAsciiWordOrSpace(c);
  return letterOrDigit.test(String.fromCodePoint(text.codePointAt(at)!).normalize('NFC').toLowerCase());
}
