// "Copy to the embeddings folder": puts a saved embedding where AUTOMATIC1111 (`embeddings/`) or
// ComfyUI (`models/embeddings/`) finds it. Both load `.safetensors` with `emb_params`, so the file
// is copied as it is; the file name becomes the prompt word. Never replaces a file silently.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../../dataset/atomicWrite';

export class EmbeddingCopyError extends Error {}

/** Where `source` would be copied to in `folder`, under `asName` (default: its own file name). */
export function embeddingCopyTarget(source: string, folder: string, asName?: string): string {
  return join(folder, asName ? `${asName}.safetensors` : basename(source));
}

export async function copyEmbeddingToFolder(source: string, folder: string, options: { asName?: string; overwrite?: boolean } = {}): Promise<string> {
  if (!folder) throw new EmbeddingCopyError('no embeddings folder is set: set embeddingStudio.embeddingsFolder to your AUTOMATIC1111 `embeddings` folder or ComfyUI `models/embeddings` folder');
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new EmbeddingCopyError(`the embeddings folder ${folder} does not exist; check embeddingStudio.embeddingsFolder (A1111: stable-diffusion-webui/embeddings, ComfyUI: ComfyUI/models/embeddings)`);
  }
  const target = embeddingCopyTarget(source, folder, options.asName);
  if (existsSync(target) && !options.overwrite) throw new EmbeddingCopyError(`${target} already exists; copy under another name or confirm replacing it`);
  await writeFileAtomic(target, readFileSync(source));
  return target;
}
