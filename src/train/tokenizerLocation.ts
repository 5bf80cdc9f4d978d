// Where the CLIP tokenizer files are found for a training run: an explicit path (a
// bpe_simple_vocab_16e6.txt(.gz) file, or a folder with merges.txt + vocab.json), the model's
// own tokenizer/ folder (diffusers), next to the checkpoint, the Hugging Face cache of
// openai/clip-vit-large-patch14, or the project's shared/clip-vocab (development checkouts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ClipTokenizer } from '../sd/clipTokenizer';

const bpeNames = ['bpe_simple_vocab_16e6.txt.gz', 'bpe_simple_vocab_16e6.txt'];

function fromFolder(folder: string): ClipTokenizer | null {
  if (existsSync(join(folder, 'merges.txt')) && existsSync(join(folder, 'vocab.json'))) return ClipTokenizer.fromMergesAndVocab(join(folder, 'merges.txt'), join(folder, 'vocab.json'));
  for (const name of bpeNames) if (existsSync(join(folder, name))) return ClipTokenizer.fromBpeFile(join(folder, name));
  return null;
}

export function candidateTokenizerFolders(modelPath: string, modelTokenizerFolder?: string): string[] {
  const folders: string[] = [];
  if (modelTokenizerFolder) folders.push(modelTokenizerFolder);
  const modelDir = statSafe(modelPath)?.isDirectory() ? modelPath : dirname(modelPath);
  folders.push(join(modelDir, 'tokenizer'), modelDir);
  const hubRoot = process.env.HF_HUB_CACHE ?? join(process.env.HF_HOME ?? join(homedir(), '.cache', 'huggingface'), 'hub');
  for (const repo of ['models--openai--clip-vit-large-patch14', 'models--runwayml--stable-diffusion-v1-5', 'models--stable-diffusion-v1-5--stable-diffusion-v1-5']) {
    const snapshots = join(hubRoot, repo, 'snapshots');
    if (!existsSync(snapshots)) continue;
    for (const snapshot of readdirSync(snapshots)) folders.push(join(snapshots, snapshot), join(snapshots, snapshot, 'tokenizer'));
  }
  // A development checkout: the shared folder beside the repository.
  folders.push(resolve(__dirname, '..', '..', '..', 'shared', 'clip-vocab'), resolve(__dirname, '..', '..', 'shared', 'clip-vocab'));
  return folders;
}

export function locateClipTokenizer(explicit: string, modelPath: string, modelTokenizerFolder?: string): ClipTokenizer {
  if (explicit) {
    const stat = statSafe(explicit);
    if (!stat) throw new Error(`${explicit}: the tokenizer path does not exist; give bpe_simple_vocab_16e6.txt.gz or a folder with merges.txt and vocab.json`);
    if (stat.isFile()) return ClipTokenizer.fromBpeFile(explicit);
    const found = fromFolder(explicit);
    if (!found) throw new Error(`${explicit}: no CLIP tokenizer files there (merges.txt + vocab.json, or bpe_simple_vocab_16e6.txt.gz)`);
    return found;
  }
  const tried = candidateTokenizerFolders(modelPath, modelTokenizerFolder);
  for (const folder of tried) {
    const found = fromFolder(folder);
    if (found) return found;
  }
  throw new Error(
    `the CLIP tokenizer files were not found (looked in ${tried.slice(0, 3).join(', ')}, the Hugging Face cache, …); ` +
      'give them with --tokenizer: bpe_simple_vocab_16e6.txt.gz from openai/CLIP, or the tokenizer/ folder of a diffusers SD1 model (merges.txt + vocab.json)',
  );
}

function statSafe(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
