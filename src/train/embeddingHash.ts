// AUTOMATIC1111's hash of an embedding (modules/textual_inversion: hashes.sha256 of the file):
// the SHA-256 of the whole file, shown as its first 12 hex digits — what A1111 prints in its
// "TI hashes" generation parameter and embeddings list, so a user can match a file to an image.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export interface EmbeddingHash {
  sha256: string;
  /** sha256[:12], A1111's short hash. */
  shortHash: string;
}

export function embeddingFileHash(path: string): EmbeddingHash {
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  return { sha256, shortHash: sha256.slice(0, 12) };
}

const remembered = new Map<string, { size: number; mtimeMs: number; hash: EmbeddingHash }>();

/** embeddingFileHash, remembered while the file's size and modification time stay the same (for views that redraw). */
export function cachedEmbeddingFileHash(path: string): EmbeddingHash {
  const { size, mtimeMs } = statSync(path);
  const known = remembered.get(path);
  if (known && known.size === size && known.mtimeMs === mtimeMs) return known.hash;
  const hash = embeddingFileHash(path);
  if (remembered.size > 1000) remembered.clear();
  remembered.set(path, { size, mtimeMs, hash });
  return hash;
}
