// The caption linters' CLIP token counter (language server, `embedding-studio lint`): the
// tokenizer search of src/sd/tokenizerFiles (ending with the vocabulary we ship, so counts are
// exact by default), and a way to say which files count or why counts are estimated. Finding
// nothing (a damaged install) leaves estimates; a tokenizer the user named that cannot be used
// is a problem to report.
import { describeTokenizerFiles, findTokenizerFiles, loadTokenCounter, type TokenizerFiles, type TokenizerSearch } from '../sd/tokenizerFiles';
import { CaptionTokenCounter } from './captionTokenCount';

export type CaptionTokenCounterSearchResult =
  | { found: true; counter: CaptionTokenCounter; files: TokenizerFiles; description: string }
  /** `problem`: the user named a tokenizer (setting / --tokenizer) that cannot be used. */
  | { found: false; reason: string; problem?: string };

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
