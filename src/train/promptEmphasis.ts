// A1111's prompt attention syntax (modules/prompt_parser.py, parse_prompt_attention), which
// A1111 also applies to training captions: `(text)` ×1.1, `[text]` ÷1.1, `(text:1.3)` ×1.3,
// `\(` `\)` `\[` `\]` `\\` literal, unclosed brackets apply to the end, and neighbouring pieces
// with equal weights are merged. `BREAK` (the word alone, in capitals) ends the 75-token chunk
// (see trainingPrompt.ts). The weights then scale the text encoder's output per token, and each
// chunk is rescaled so that its mean is the original mean.
//
// One deliberate difference: A1111 marks BREAK as a piece of weight −1 that brackets then
// multiply, so `(red BREAK blue:1.2)` becomes the word "break" with weight −1.2. Here a BREAK is
// its own kind of piece that brackets leave alone: it always ends the chunk.

export interface WeightedText {
  text: string;
  weight: number;
  /** A `BREAK`: start a new chunk here (text is empty, weight 1). */
  isBreak?: true;
}

const roundBracketMultiplier = 1.1;
const squareBracketMultiplier = 1 / 1.1;

// The same alternatives as A1111's re_attention, in the same order.
const attentionPattern = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/g;

// A1111's re_break, \s*\bBREAK\b\s* with Python's Unicode \b and \s.
const breakPattern = /[\s\x1c-\x1f\x85]*(?<![\p{L}\p{N}_])BREAK(?![\p{L}\p{N}_])[\s\x1c-\x1f\x85]*/u;

export function parsePromptAttention(prompt: string): WeightedText[] {
  const pieces: WeightedText[] = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiplyFrom = (start: number, factor: number) => {
    for (let p = start; p < pieces.length; p++) if (!pieces[p].isBreak) pieces[p].weight *= factor;
  };
  const pushText = (text: string) => {
    text.split(breakPattern).forEach((part, i) => {
      if (i > 0) pieces.push({ text: '', weight: 1, isBreak: true });
      pieces.push({ text: part, weight: 1 });
    });
  };
  for (const match of prompt.matchAll(attentionPattern)) {
    const token = match[0];
    const weight = match[1];
    if (token.startsWith('\\')) pieces.push({ text: token.slice(1), weight: 1 });
    else if (token === '(') round.push(pieces.length);
    else if (token === '[') square.push(pieces.length);
    else if (weight !== undefined && round.length > 0 && Number.isFinite(Number(weight))) multiplyFrom(round.pop()!, Number(weight));
    else if (token === ')' && round.length > 0) multiplyFrom(round.pop()!, roundBracketMultiplier);
    else if (token === ']' && square.length > 0) multiplyFrom(square.pop()!, squareBracketMultiplier);
    else pushText(token);
  }
  for (const start of round) multiplyFrom(start, roundBracketMultiplier);
  for (const start of square) multiplyFrom(start, squareBracketMultiplier);
  if (pieces.length === 0) return [{ text: '', weight: 1 }];
  const merged: WeightedText[] = [{ ...pieces[0] }];
  for (const piece of pieces.slice(1)) {
    const last = merged[merged.length - 1];
    if (!last.isBreak && !piece.isBreak && last.weight === piece.weight) last.text += piece.text;
    else merged.push({ ...piece });
  }
  return merged;
}

/**
 * A1111's emphasis on encoder output for one chunk: hidden [rows, tokens, width] times the
 * per-token weights [rows, tokens], then scaled so the mean over all elements equals the mean
 * before weighting.
 */
export function applyEmphasis(hidden: Float32Array, weights: Float32Array, width: number): Float32Array {
  if (hidden.length !== weights.length * width) throw new Error(`emphasis: ${hidden.length} hidden values do not match ${weights.length} weights × width ${width}`);
  let originalSum = 0;
  for (let i = 0; i < hidden.length; i++) originalSum += hidden[i];
  const weighted = new Float32Array(hidden.length);
  let newSum = 0;
  for (let t = 0; t < weights.length; t++) {
    for (let c = 0; c < width; c++) {
      const v = hidden[t * width + c] * weights[t];
      weighted[t * width + c] = v;
      newSum += v;
    }
  }
  const scale = originalSum / newSum;
  for (let i = 0; i < weighted.length; i++) weighted[i] *= scale;
  return weighted;
}

/** True when a caption has any weight other than 1 (then the emphasis pass is needed). */
export function hasEmphasis(pieces: WeightedText[]): boolean {
  return pieces.some((p) => p.weight !== 1);
}
