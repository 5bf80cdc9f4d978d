// A1111's "Create embedding": `vectors` rows initialised from the token embeddings of the
// initialisation text (default `*`): the text's first `vectors` tokens, row i taken from token
// floor(i·T / vectors) so a short text is repeated and a long one truncated; an empty text
// gives zeros. Existing files are never overwritten unless asked.
import { existsSync } from 'node:fs';
import type { Embedding } from './embeddingFile';
import { vectorsAdvice } from './config';
import type { PromptTokenizer } from './trainingPrompt';

export interface CreateEmbeddingOptions {
  name: string;
  vectors: number;
  initText: string;
  /** The checkpoint's token embedding matrix row reader: row `id` of [vocab, width]. */
  tokenEmbedding: (id: number) => Float32Array;
  width: number;
  tokenizer: PromptTokenizer;
  checkpointHash?: string | null;
  checkpointName?: string | null;
}

export function createEmbedding(options: CreateEmbeddingOptions): { embedding: Embedding; advice: string } {
  const { vectors, width } = options;
  if (!Number.isInteger(vectors) || vectors < 1) throw new Error(`vectors per token must be a whole number ≥ 1, got ${vectors}`);
  if (vectors > 60) throw new Error(vectorsAdvice(vectors));
  const data = new Float32Array(vectors * width);
  if (options.initText) {
    const ids = options.tokenizer.tokenize(options.initText).slice(0, vectors);
    if (ids.length === 0) throw new Error(`initialisation text "${options.initText}" has no CLIP tokens; use a word that describes the subject, or "*"`);
    for (let i = 0; i < vectors; i++) {
      const row = options.tokenEmbedding(ids[Math.floor((i * ids.length) / vectors)]);
      if (row.length !== width) throw new Error(`token embedding row has width ${row.length}, expected ${width}`);
      data.set(row, i * width);
    }
  }
  return {
    embedding: { name: options.name, vectors: data, count: vectors, width, step: 0, checkpointHash: options.checkpointHash ?? null, checkpointName: options.checkpointName ?? null },
    advice: vectorsAdvice(vectors),
  };
}

/** Refuses to replace an existing embedding file unless `overwrite`. */
export function assertCanWriteEmbedding(path: string, overwrite: boolean): void {
  if (existsSync(path) && !overwrite) throw new Error(`${path} already exists; choose another name, or pass --overwrite to replace it`);
}
