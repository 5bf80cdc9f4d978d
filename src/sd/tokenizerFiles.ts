// Finding the CLIP tokenizer files on a user's machine without downloading anything, in this
// order: the setting, the model's diffusers `tokenizer/` folder, the Hugging Face cache (where
// AUTOMATIC1111 and diffusers put openai/clip-vit-large-patch14), AUTOMATIC1111 / ComfyUI
// installs the user names, and last the vocabulary Embedding Studio ships (every SD1.x model
// uses the same one, so this default is exact). Either openai/CLIP's
// `bpe_simple_vocab_16e6.txt.gz` or Hugging Face's `merges.txt` + `vocab.json` will do.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { bundledVocabularyPath, expectedBundledVocabularyPath } from './bundledVocabulary';
import { ClipTokenizer } from './clipTokenizer';

export type TokenizerFiles =
  | { format: 'bpe'; bpePath: string; source: TokenizerSource }
  | { format: 'merges-vocab'; mergesPath: string; vocabPath: string; source: TokenizerSource };

export type TokenizerSource = 'setting' | 'model' | 'huggingface-cache' | 'install' | 'bundled';

export interface TokenizerSearch {
  /** The `embeddingStudio.tokenizerPath` setting: a merges/BPE file or a folder holding them. */
  settingPath?: string;
  /** The model the user chose: a diffusers folder (its `tokenizer/`) or a single file. */
  modelPath?: string;
  /** AUTOMATIC1111 / ComfyUI install folders the user named. */
  installPaths?: string[];
  /** Environment for HF_HUB_CACHE / HF_HOME (defaults to process.env). */
  env?: Record<string, string | undefined>;
  /** Home folder (defaults to os.homedir()). */
  homeDir?: string;
  /** The shipped vocabulary (default: found beside the code); `false` leaves it out of the search. */
  bundled?: string | false;
}

const bpeFileName = 'bpe_simple_vocab_16e6.txt.gz';
const hfRepoFolder = 'models--openai--clip-vit-large-patch14';

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The tokenizer files directly inside `folder`, if any (symlinks resolved, as in the HF cache). */
function filesIn(folder: string, source: TokenizerSource): TokenizerFiles | undefined {
  const merges = join(folder, 'merges.txt');
  const vocab = join(folder, 'vocab.json');
  if (isFile(merges) && isFile(vocab)) return { format: 'merges-vocab', mergesPath: realpathSync(merges), vocabPath: realpathSync(vocab), source };
  const bpe = join(folder, bpeFileName);
  if (isFile(bpe)) return { format: 'bpe', bpePath: realpathSync(bpe), source };
  return undefined;
}

function fromSetting(path: string): TokenizerFiles {
  if (!existsSync(path)) {
    throw new Error(`CLIP tokenizer setting: ${path} does not exist — point it at ${bpeFileName}, at a merges.txt (with vocab.json beside it), or at a folder holding them`);
  }
  if (statSync(path).isDirectory()) {
    const found = filesIn(path, 'setting') ?? filesIn(join(path, 'tokenizer'), 'setting');
    if (found) return found;
    throw new Error(`CLIP tokenizer setting: ${path} holds neither merges.txt + vocab.json nor ${bpeFileName}`);
  }
  if (basename(path) === 'merges.txt' || basename(path) === 'vocab.json') {
    const found = filesIn(dirname(path), 'setting');
    if (found?.format === 'merges-vocab') return found;
    throw new Error(`CLIP tokenizer setting: ${path} needs merges.txt and vocab.json side by side in ${dirname(path)}`);
  }
  return { format: 'bpe', bpePath: realpathSync(path), source: 'setting' };
}

function huggingFaceCaches(env: Record<string, string | undefined>, home: string): string[] {
  const caches: string[] = [];
  if (env.HF_HUB_CACHE) caches.push(env.HF_HUB_CACHE);
  if (env.HUGGINGFACE_HUB_CACHE) caches.push(env.HUGGINGFACE_HUB_CACHE);
  if (env.HF_HOME) caches.push(join(env.HF_HOME, 'hub'));
  if (env.XDG_CACHE_HOME) caches.push(join(env.XDG_CACHE_HOME, 'huggingface', 'hub'));
  caches.push(join(home, '.cache', 'huggingface', 'hub'));
  return [...new Set(caches)];
}

function fromHuggingFaceCache(cache: string): TokenizerFiles | undefined {
  const snapshots = join(cache, hfRepoFolder, 'snapshots');
  let entries: string[];
  try {
    entries = readdirSync(snapshots).sort();
  } catch {
    return undefined;
  }
  for (const snapshot of entries) {
    const found = filesIn(join(snapshots, snapshot), 'huggingface-cache');
    if (found) return found;
  }
  return undefined;
}

/** Where an AUTOMATIC1111 / ComfyUI install keeps a copy: ComfyUI's sd1_tokenizer, or openai-clip / open_clip in its venv. */
function fromInstall(root: string): TokenizerFiles | undefined {
  const comfy = filesIn(join(root, 'comfy', 'sd1_tokenizer'), 'install');
  if (comfy) return comfy;
  for (const venv of ['venv', '.venv']) {
    const lib = join(root, venv, 'lib');
    const sitePackages: string[] = [join(root, venv, 'Lib', 'site-packages')];
    try {
      for (const python of readdirSync(lib)) sitePackages.push(join(lib, python, 'site-packages'));
    } catch {
      // no POSIX venv layout
    }
    for (const site of sitePackages) {
      for (const pkg of ['clip', 'open_clip']) {
        const found = filesIn(join(site, pkg), 'install');
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** Finds the tokenizer files, or throws an error that lists where we looked and how to get them. */
export function findTokenizerFiles(search: TokenizerSearch = {}): TokenizerFiles {
  if (search.settingPath) return fromSetting(search.settingPath);
  const looked: string[] = [];
  if (search.modelPath && existsSync(search.modelPath) && statSync(search.modelPath).isDirectory()) {
    const folder = join(search.modelPath, 'tokenizer');
    const found = filesIn(folder, 'model');
    if (found) return found;
    looked.push(folder);
  }
  for (const cache of huggingFaceCaches(search.env ?? process.env, search.homeDir ?? homedir())) {
    const found = fromHuggingFaceCache(cache);
    if (found) return found;
    looked.push(join(cache, hfRepoFolder));
  }
  for (const root of search.installPaths ?? []) {
    const found = fromInstall(root);
    if (found) return found;
    looked.push(`${root} (comfy/sd1_tokenizer, venv clip/open_clip)`);
  }
  if (search.bundled !== false) {
    const bundled = search.bundled ?? bundledVocabularyPath();
    if (bundled && isFile(bundled)) return { format: 'bpe', bpePath: bundled, source: 'bundled' };
    looked.push(`${bundled ?? expectedBundledVocabularyPath()} (the copy shipped with Embedding Studio is missing: reinstall it)`);
  }
  throw new Error(
    `CLIP tokenizer files not found (looked in: ${looked.join('; ')}). ` +
      'Get them once from Hugging Face: `huggingface-cli download openai/clip-vit-large-patch14 merges.txt vocab.json` (fills the cache we read), ' +
      `or download ${bpeFileName} from github.com/openai/CLIP (clip/ folder), then set "embeddingStudio.tokenizerPath" to it; ` +
      'a ComfyUI install (comfy/sd1_tokenizer) or an AUTOMATIC1111 install that has run once also works: add its folder to the install paths.',
  );
}

const sourceNames: Record<TokenizerSource, string> = {
  setting: 'the path given',
  model: 'the model folder',
  'huggingface-cache': 'the Hugging Face cache',
  install: 'an AUTOMATIC1111/ComfyUI install',
  bundled: 'shipped with Embedding Studio',
};

/** "merges.txt + vocab.json in /x (the Hugging Face cache)": which files, and how they were found. */
export function describeTokenizerFiles(files: TokenizerFiles): string {
  const where = files.format === 'bpe' ? files.bpePath : `${files.mergesPath} + vocab.json`;
  return `${where} (${sourceNames[files.source]})`;
}

export function loadTokenizer(files: TokenizerFiles): ClipTokenizer {
  return files.format === 'bpe' ? ClipTokenizer.fromBpeFile(files.bpePath) : ClipTokenizer.fromMergesAndVocab(files.mergesPath, files.vocabPath);
}

/** A tokenizer that only counts tokens (no ids): what the caption linters need, loaded in a fraction of the time. */
export function loadTokenCounter(files: TokenizerFiles): ClipTokenizer {
  return files.format === 'bpe' ? ClipTokenizer.fromBpeFile(files.bpePath, true) : ClipTokenizer.countingFromMerges(files.mergesPath);
}

/** findTokenizerFiles + loadTokenizer. */
export function findClipTokenizer(search: TokenizerSearch = {}): ClipTokenizer {
  return loadTokenizer(findTokenizerFiles(search));
}
