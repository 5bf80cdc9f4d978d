// The CLIP tokenizer for a training run: the search of src/sd/tokenizerFiles (the setting or
// --tokenizer, the model's diffusers tokenizer/ folder, the Hugging Face cache, named installs),
// then, for development checkouts only, the project's shared/clip-vocab beside the repository.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ClipTokenizer } from '../sd/clipTokenizer';
import { findClipTokenizer } from '../sd/tokenizerFiles';

const developmentVocabularies = [
  // From src/train (tsx) and from dist/ (the bundle).
  resolve(__dirname, '..', '..', '..', 'shared', 'clip-vocab', 'bpe_simple_vocab_16e6.txt.gz'),
  resolve(__dirname, '..', '..', 'shared', 'clip-vocab', 'bpe_simple_vocab_16e6.txt.gz'),
];

export function locateClipTokenizer(explicit: string, modelPath: string, modelTokenizerFolder?: string): ClipTokenizer {
  if (explicit) return findClipTokenizer({ settingPath: explicit });
  try {
    return findClipTokenizer({ modelPath: modelTokenizerFolder ? dirname(modelTokenizerFolder) : modelPath });
  } catch (error) {
    const development = developmentVocabularies.find((file) => existsSync(file));
    if (development) return ClipTokenizer.fromBpeFile(development);
    throw new Error(`${(error as Error).message} For training from the command line, --tokenizer PATH does the same as the setting.`);
  }
}

