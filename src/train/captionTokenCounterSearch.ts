// The caption linters' CLIP token counter (language server, `embedding-studio lint`): the
// tokenizer search of src/sd/tokenizerFiles, and a way to say which files count or why counts
// are estimated. Not finding a tokenizer is normal (counts are estimated); a tokenizer the user
// named that cannot be used is a problem to report.
import { loadTokenCounter, findTokenizerFiles, type TokenizerFiles, type TokenizerSearch, type TokenizerSource } from '../sd/tokenizerFiles';
import { CaptionTokenCounter } from './captionTokenCount';

export type CaptionTokenCounterSearchResult =
  | { found: true; counter: CaptionTokenCounter; files: TokenizerFiles; description: string }
  /** `problem`: the user named a tokenizer (setting / --tokenizer) that cannot be used. */
  | { found: false; reason: string; problem?: string };

const sourceNames: Record<TokenizerSource, string> = {
  setting: 'the path given',
  model: 'the model folder',
  'huggingface-cache': 'the Hugging Face cache',
  install: 'an AUTOMATIC1111/ComfyUI install',
};

/** "merges.txt + vocab.json in /x (the Hugging Face cache)". */
export function describeTokenizerFiles(files: TokenizerFiles): string {
  const where = files.format === 'bpe' ? files.bpePath : `${files.mergesPath} + vocab.json`;
  return `${where} (${sourceNames[files.source]})`;
}

export function findCaptionTokenCounter(search: TokenizerSearch): CaptionTokenCounterSearchResult {
  let files: TokenizerFiles;
  try {
    files = findTokenizerFiles(search);
  } catch (error) {
    const message = (error as Error).message;
    return search.settingPath ? { found: false, reason: message, problem: message } : { found: false, reason: message };
  }
  try {
    return { found: true, counter: new CaptionTokenCounter(loadTokenCounter(files)), files, description: describeTokenizerFiles(files) };
  } catch (error) {
    // Files found but unusable (wrong vocabulary, unreadable): always worth telling the user.
    const message = (error as Error).message;
    return { found: false, reason: message, problem: message };
  }
}
