// The CLIP tokenizer for a training run or a new embedding: the --tokenizer path or the setting
// when given (a wrong one is an error, never a silent fallback), otherwise the search of
// src/sd/tokenizerFiles (the model's diffusers tokenizer/ folder, the Hugging Face cache, then
// the vocabulary shipped with Embedding Studio). Says which files it used, for the run's log.
import { dirname } from 'node:path';
import type { ClipTokenizer } from '../sd/clipTokenizer';
import { describeTokenizerFiles, findTokenizerFiles, loadTokenizer, type TokenizerFiles } from '../sd/tokenizerFiles';

export interface LocatedTokenizer {
  tokenizer: ClipTokenizer;
  files: TokenizerFiles;
  /** "…/bpe_simple_vocab_16e6.txt.gz (shipped with Embedding Studio)". */
  description: string;
}

export function locateClipTokenizer(explicit: string, modelPath: string, modelTokenizerFolder?: string): LocatedTokenizer {
  let files: TokenizerFiles;
  if (explicit) files = findTokenizerFiles({ settingPath: explicit });
  else {
    try {
      files = findTokenizerFiles({ modelPath: modelTokenizerFolder ? dirname(modelTokenizerFolder) : modelPath });
    } catch (error) {
      throw new Error(`${(error as Error).message} For training from the command line, --tokenizer PATH does the same as the setting.`);
    }
  }
  return { tokenizer: loadTokenizer(files), files, description: describeTokenizerFiles(files) };
}
