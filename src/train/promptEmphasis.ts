// A1111's prompt attention syntax (modules/prompt_parser.py, parse_prompt_attention), which
// A1111 also applies to training captions: `(text)` ×1.1, `[text]` ÷1.1, `(text:1.3)` ×1.3,
// `\(` `\)` `\[` `\]` `\\` literal, unclosed brackets apply to the end, and neighbouring pieces
// with equal weights are merged. The weights then scale the text encoder's output per token,
// and the result is rescaled so that its overall mean is the original mean.

export interface WeightedText {
  text: string;
  weight: number;
}

const roundBracketMultiplier = 1.1;
const squareBracketMultiplier = 1 / 1.1;

// The same alternatives as A1111's re_attention, in the same order.
const attentionPattern = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/g;

export function parsePromptAttention(prompt: string): WeightedText[] {
  const pieces: WeightedText[] = [];
  const round: number[] = [];
  const square: number[] = [];
  const multiplyFrom = (start: number, factor: number) => {
    for (let p = start; p < pieces.length; p++) pieces[p].weight *= factor;
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
    else pieces.push({ text: token, weight: 1 });
  }
  for (const start of round) multiplyFrom(start, roundBracketMultiplier);
  for (const start of square) multiplyFrom(start, squareBracketMultiplier);
  if (pieces.length === 0) return [{ text: '', weight: 1 }];
  const merged: WeightedText[] = [{ ...pieces[0] }];
  for (const piece of pieces.slice(1)) {
    const last = merged[merged.length - 1];
    if (last.weight === piece.weight) last.text += piece.text;
    else merged.push({ ...piece });
  }
  return merged;
}

/**
 * A1111's emphasis on encoder output: hidden [rows, tokens, width] times the per-token weights
 * [rows, tokens], then scaled so the mean over all elements equals the mean before weighting.
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
