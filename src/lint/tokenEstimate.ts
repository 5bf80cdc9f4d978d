// An estimate of a caption's CLIP token count, used until a real tokenizer is plugged in
// through `LintConfig.countTokens`. The heuristic: CLIP's BPE keeps common English words whole
// and splits long or rare ones, so each run of letters counts ceil(length / 6) tokens (at least
// one), each run of digits one, and every punctuation mark (commas included) one. Escapes
// (`\(`) count as the bracket alone, as A1111 unescapes them before tokenizing.

export function estimateClipTokens(text: string): number {
  let tokens = 0;
  const pattern = /(\p{L}+)|(\p{N}+)|([^\s\p{L}\p{N}\\])/gu;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match[1]) tokens += Math.max(1, Math.ceil(match[1].length / 6));
    else tokens += 1;
  }
  return tokens;
}

/** CLIP's context is 77 tokens: start, end, and 75 for the text. */
export const clipTokenLimit = 75;
