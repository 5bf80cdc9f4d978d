// The embedding name the editor asks for (Create Embedding, the Start Training form): one rule,
// the trainer's and the CLI's (it becomes a file name and a prompt word), so a name one accepts
// is never refused by another. Any script's letters are fine: names like 初音 are common.
import { basename } from 'node:path';

/** Why `text` cannot be an embedding name, or undefined when it can. */
export function embeddingNameProblem(text: string): string | undefined {
  if (/^[^\\/:*?"<>|\s][^\\/:*?"<>|]*$/.test(text) && text.trim() === text) return undefined;
  return 'The name becomes a file name and a prompt word: no \\ / : * ? " < > |, and no spaces at either end';
}

/** The name proposed for a dataset folder: its name, with what a file name cannot hold replaced by "_". */
export function defaultEmbeddingName(datasetDir: string): string {
  const name = basename(datasetDir).replace(/[^\p{L}\p{N}_.-]+/gu, '_').replace(/^[._]+|_+$/g, '');
  return name || 'embedding';
}
