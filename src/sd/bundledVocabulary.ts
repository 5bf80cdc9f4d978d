// The CLIP BPE vocabulary Embedding Studio ships (resources/clip: openai/CLIP's
// bpe_simple_vocab_16e6.txt.gz, MIT, LICENSE-CLIP.txt beside it): the tokenizer search's final
// default, so a single-file checkpoint trains and caption lengths count exactly with no other
// file. Found relative to this code, wherever it runs from: the sources (src/sd, through tsx)
// or a bundle in dist/ (the CLI, the language server and the trainer of a checkout, an npm
// install or an installed VSIX all keep resources/ beside dist/).
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

export const bundledVocabularyFileName = 'bpe_simple_vocab_16e6.txt.gz';

const candidates = [
  resolve(__dirname, '..', 'resources', 'clip', bundledVocabularyFileName), // dist/*.js
  resolve(__dirname, '..', '..', 'resources', 'clip', bundledVocabularyFileName), // src/sd/*.ts
];

/** The shipped vocabulary file, or undefined when this installation lacks it (a damaged install). */
export function bundledVocabularyPath(): string | undefined {
  return candidates.find((path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

/** Where the shipped vocabulary belongs (for messages when it is missing). */
export function expectedBundledVocabularyPath(): string {
  return candidates[__filename.endsWith('.ts') ? 1 : 0];
}
