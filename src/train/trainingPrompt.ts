// Turns a training prompt into what the text encoder gets, the way A1111 does it for training:
// emphasis pieces (`(tag:1.2)`) give each token a weight; every occurrence of the embedding's
// name (matched on its CLIP token ids) becomes `vectors` slots that receive the embedding rows;
// BOS + 75 tokens + EOS, padded with EOS to 77. Longer prompts are cut at 75 tokens (A1111
// would start a second 75-token chunk; the caption linter warns about captions that long).
import { clipBosId, clipContextLength, clipEosId, clipMaxContentTokens } from '../sd/clipTokenizer';
import { parsePromptAttention } from './promptEmphasis';

/** The tokenizer calls needed here (ClipTokenizer satisfies it). */
export interface PromptTokenizer {
  tokenize(text: string): number[];
}

export interface EncodedPrompt {
  /** 77 ids; embedding slots hold 0 (the value is ignored: those token embeddings are replaced). */
  ids: number[];
  /** 77 emphasis weights (1 for BOS, EOS and padding). */
  weights: number[];
  /** [position, embedding row] for every slot. */
  slots: [number, number][];
  /** True when the prompt was longer than 75 tokens and cut. */
  truncated: boolean;
}

export const embeddingSlotTokenId = 0;

export function encodeTrainingPrompt(tokenizer: PromptTokenizer, prompt: string, embeddingName: string, vectors: number, emphasis: boolean): EncodedPrompt {
  const nameIds = tokenizer.tokenize(embeddingName);
  if (nameIds.length === 0) throw new Error(`embedding name "${embeddingName}" has no CLIP tokens; choose a name with letters or digits`);
  const pieces = emphasis ? parsePromptAttention(prompt) : [{ text: prompt, weight: 1 }];
  const tokens: { id: number; weight: number; row: number }[] = [];
  for (const piece of pieces) {
    const ids = tokenizer.tokenize(piece.text);
    for (let i = 0; i < ids.length; i++) {
      if (nameIds.every((id, k) => ids[i + k] === id)) {
        for (let row = 0; row < vectors; row++) tokens.push({ id: embeddingSlotTokenId, weight: piece.weight, row });
        i += nameIds.length - 1;
      } else tokens.push({ id: ids[i], weight: piece.weight, row: -1 });
    }
  }
  const truncated = tokens.length > clipMaxContentTokens;
  const kept = tokens.slice(0, clipMaxContentTokens);
  const ids = [clipBosId, ...kept.map((t) => t.id), clipEosId];
  const weights = [1, ...kept.map((t) => t.weight), 1];
  while (ids.length < clipContextLength) {
    ids.push(clipEosId);
    weights.push(1);
  }
  const slots: [number, number][] = [];
  kept.forEach((t, i) => {
    if (t.row >= 0) slots.push([i + 1, t.row]);
  });
  return { ids, weights, slots, truncated };
}
