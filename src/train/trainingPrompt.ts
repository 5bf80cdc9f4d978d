// Turns a training prompt into what the text encoder gets, the way AUTOMATIC1111 does it
// (modules/sd_hijack_clip.py, tokenize_line): emphasis pieces (`(tag:1.2)`) give each token a
// weight and are tokenized one by one; every occurrence of the embedding's name (matched on its
// CLIP token ids) becomes `vectors` slots that receive the embedding rows. The tokens fill
// chunks of 75, each encoded as BOS + 75 + EOS (EOS padding) and the conditionings concatenated:
//  - `BREAK` ends the chunk (padding the rest);
//  - at a chunk's 75th token, if a comma was among its last 20 tokens, the tokens after that comma
//    move to the next chunk (A1111's comma_padding_backtrack, 20 by default);
//  - the embedding's vectors never straddle two chunks: when they do not fit, a new chunk starts.
import { clipBosId, clipContextLength, clipEosId, clipMaxContentTokens } from '../sd/clipTokenizer';
import { parsePromptAttention, type WeightedText } from './promptEmphasis';

/** The tokenizer calls needed here (ClipTokenizer satisfies it). */
export interface PromptTokenizer {
  tokenize(text: string): number[];
  tokenId?(token: string): number | undefined;
}

export interface EncodedPrompt {
  /** 77 ids per chunk; embedding slots hold 0 (the value is ignored: those token embeddings are replaced). */
  ids: number[];
  /** 77 emphasis weights per chunk (1 for BOS, EOS and padding). */
  weights: number[];
  /** [position in `ids`, embedding row] for every slot. */
  slots: [number, number][];
  /** Chunks of 77: ids.length / 77. */
  chunks: number;
  /** A1111's token count (75 per full chunk, the tokens of the last one). */
  tokenCount: number;
}

export const embeddingSlotTokenId = 0;
/** A1111's default `comma_padding_backtrack`. */
export const commaPaddingBacktrack: number = 20;
/** CLIP's id of `,</w>` (A1111 looks it up in the vocabulary). */
export const clipCommaId = 267;

interface Chunk {
  ids: number[];
  weights: number[];
  /** [offset in the chunk's content, embedding row] */
  slots: [number, number][];
}

export function encodeTrainingPrompt(tokenizer: PromptTokenizer, prompt: string, embeddingName: string, vectors: number, emphasis: boolean): EncodedPrompt {
  const nameIds = tokenizer.tokenize(embeddingName);
  if (nameIds.length === 0) throw new Error(`embedding name "${embeddingName}" has no CLIP tokens; choose a name with letters or digits`);
  if (vectors > clipMaxContentTokens) throw new Error(`an embedding of ${vectors} vectors cannot fit a 75-token chunk`);
  const comma = tokenizer.tokenId?.(',</w>') ?? clipCommaId;
  // A1111 parses BREAK only as part of the emphasis syntax: with emphasis off the prompt is one piece
  const pieces: WeightedText[] = emphasis ? parsePromptAttention(prompt) : [{ text: prompt, weight: 1 }];
  const chunks: Chunk[] = [];
  let chunk: Chunk = { ids: [], weights: [], slots: [] };
  let tokenCount = 0;
  let lastComma = -1;
  const nextChunk = (isLast = false) => {
    tokenCount += isLast ? chunk.ids.length : clipMaxContentTokens;
    chunks.push(chunk);
    chunk = { ids: [], weights: [], slots: [] };
    lastComma = -1;
  };
  for (const piece of pieces) {
    if (piece.isBreak) {
      nextChunk();
      continue;
    }
    const ids = tokenizer.tokenize(piece.text);
    let position = 0;
    while (position < ids.length) {
      const id = ids[position];
      if (id === comma) lastComma = chunk.ids.length;
      else if (commaPaddingBacktrack !== 0 && chunk.ids.length === clipMaxContentTokens && lastComma !== -1 && chunk.ids.length - lastComma <= commaPaddingBacktrack) {
        const breakAt = lastComma + 1;
        const moved: Chunk = {
          ids: chunk.ids.slice(breakAt),
          weights: chunk.weights.slice(breakAt),
          slots: chunk.slots.filter(([offset]) => offset >= breakAt).map(([offset, row]) => [offset - breakAt, row]),
        };
        chunk = { ids: chunk.ids.slice(0, breakAt), weights: chunk.weights.slice(0, breakAt), slots: chunk.slots.filter(([offset]) => offset < breakAt) };
        nextChunk();
        chunk = moved;
      }
      if (chunk.ids.length === clipMaxContentTokens) nextChunk();
      if (!nameIds.every((nameId, k) => ids[position + k] === nameId)) {
        chunk.ids.push(id);
        chunk.weights.push(piece.weight);
        position += 1;
        continue;
      }
      if (chunk.ids.length + vectors > clipMaxContentTokens) nextChunk();
      for (let row = 0; row < vectors; row++) {
        chunk.slots.push([chunk.ids.length, row]);
        chunk.ids.push(embeddingSlotTokenId);
        chunk.weights.push(piece.weight);
      }
      position += nameIds.length;
    }
  }
  if (chunk.ids.length > 0 || chunks.length === 0) nextChunk(true);

  const encoded: EncodedPrompt = { ids: [], weights: [], slots: [], chunks: chunks.length, tokenCount };
  chunks.forEach((c, index) => {
    const base = index * clipContextLength;
    encoded.ids.push(clipBosId, ...c.ids);
    encoded.weights.push(1, ...c.weights);
    for (let i = c.ids.length; i < clipMaxContentTokens + 1; i++) {
      encoded.ids.push(clipEosId);
      encoded.weights.push(1);
    }
    for (const [offset, row] of c.slots) encoded.slots.push([base + 1 + offset, row]);
  });
  return encoded;
}

/** A1111's empty_chunk: BOS and 76 EOS, weights 1 — what pads the shorter prompts of a batch. */
export function padToChunks(encoded: EncodedPrompt, chunks: number): EncodedPrompt {
  if (chunks < encoded.chunks) throw new Error(`cannot pad a ${encoded.chunks}-chunk prompt to ${chunks} chunks`);
  if (chunks === encoded.chunks) return encoded;
  const ids = [...encoded.ids];
  const weights = [...encoded.weights];
  for (let c = encoded.chunks; c < chunks; c++) {
    ids.push(clipBosId, ...new Array<number>(clipContextLength - 1).fill(clipEosId));
    weights.push(...new Array<number>(clipContextLength).fill(1));
  }
  return { ...encoded, ids, weights, chunks };
}
