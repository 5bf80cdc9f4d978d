// The CLIP BPE tokenizer as AUTOMATIC1111 and ComfyUI run it — transformers' CLIPTokenizer with
// ftfy installed: special tokens split out, ftfy.fix_text (textFix.ts), whitespace collapse,
// lower-case, the CLIP regex, byte-level BPE with `</w>` marking the end of a word. SD1 prompts are BOS + up to 75 tokens + EOS, padded
// to 77 with EOS.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fixText } from './textFix';

export const clipBosId = 49406;
export const clipEosId = 49407;
/** SD1's text context: 77 positions = BOS + 75 content tokens + EOS. */
export const clipContextLength = 77;
export const clipMaxContentTokens = clipContextLength - 2;
/** openai/CLIP uses the first 49152 - 256 - 2 merges of the 16e6 file: vocab = 512 + merges + 2 = 49408. */
const clipMergeCount = 49152 - 256 - 2;

/** openai/CLIP's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + next++);
  }
  return table;
}

/** The byte-level alphabet in vocab order (printable bytes first, then the shifted ones). */
function byteAlphabetInVocabOrder(table: readonly string[]): string[] {
  const order: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(b);
  for (let b = 0xa1; b <= 0xac; b++) order.push(b);
  for (let b = 0xae; b <= 0xff; b++) order.push(b);
  for (let b = 0; b < 256; b++) if (!order.includes(b)) order.push(b);
  return order.map((b) => table[b]);
}

/** Python's `\s` in the `regex` module (Unicode White_Space): unlike JavaScript's, it has U+0085 and not U+FEFF. */
const pythonWhitespace = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const whitespaceRun = new RegExp(`[${pythonWhitespace}]+`, 'g');
/** str.strip() also strips U+001C–U+001F (str.isspace). */
const stripEnds = new RegExp(`^[${pythonWhitespace}\\x1c-\\x1f]+|[${pythonWhitespace}\\x1c-\\x1f]+$`, 'g');

/** transformers' whitespace_clean: runs of whitespace to one space, then strip. */
export function whitespaceClean(text: string): string {
  return text.replace(whitespaceRun, ' ').replace(stripEnds, '');
}

/**
 * What transformers' CLIPTokenizer does to text before its regex when ftfy is installed (as in
 * AUTOMATIC1111 and ComfyUI): ftfy.fix_text, whitespace_clean, lower-case. (openai/CLIP's own
 * tokenizer also runs html.unescape twice; the tools SD users run do not.)
 */
export function normalizePromptText(text: string): string {
  return whitespaceClean(fixText(text)).toLowerCase();
}

// openai/CLIP's pattern (compiled there with re.IGNORECASE; the text is already lower-cased), with Python's \s
const clipPattern = new RegExp(`<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^${pythonWhitespace}\\p{L}\\p{N}]+`, 'giu');
/** transformers splits the special tokens out before any clean-up, so ftfy sees the text between them. */
const specialTokenPattern = /(<\|startoftext\|>|<\|endoftext\|>)/;

export interface ClipEncoding {
  /** Exactly `length` ids: BOS, content (truncated), EOS, EOS padding. */
  ids: number[];
  /** Content tokens before truncation. */
  tokenCount: number;
  truncated: boolean;
}

/** "a b": two non-empty symbols and one space (checked without splitting 49k lines into arrays). */
function isMergePair(line: string): boolean {
  const space = line.indexOf(' ');
  return space > 0 && space < line.length - 1 && line.indexOf(' ', space + 1) === -1;
}

export class ClipTokenizer {
  private readonly byteEncoder = bytesToUnicode();
  private readonly ranks = new Map<string, number>();
  private readonly encoder = new Map<string, number>();
  private readonly decoder: string[] = [];
  private readonly cache = new Map<string, string[]>();

  /**
   * `merges`: the merge pairs in rank order ("a b"); `vocab`: token → id (built the CLIP way when
   * omitted). `countingOnly`: no ids at all, only `tokenCount` (the linters' need): BPE alone
   * decides how many tokens a text takes, and the id tables cost more to build than the rest.
   */
  constructor(merges: readonly string[], vocab?: ReadonlyMap<string, number>, private readonly countingOnly = false) {
    merges.forEach((merge, rank) => this.ranks.set(merge, rank));
    if (countingOnly) return;
    if (vocab) {
      for (const [token, id] of vocab) {
        this.encoder.set(token, id);
        this.decoder[id] = token;
      }
    } else {
      const alphabet = byteAlphabetInVocabOrder(this.byteEncoder);
      const tokens = [...alphabet, ...alphabet.map((c) => c + '</w>'), ...merges.map((m) => m.replace(' ', '')), '<|startoftext|>', '<|endoftext|>'];
      tokens.forEach((token, id) => {
        this.encoder.set(token, id);
        this.decoder[id] = token;
      });
    }
  }

  /** From openai/CLIP's `bpe_simple_vocab_16e6.txt.gz` (or its gunzipped text). */
  static fromBpeFile(path: string, countingOnly = false): ClipTokenizer {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new Error(`${path}: cannot read the CLIP merges file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
    // The file goes on past the merges CLIP uses (262k lines): split only what is needed.
    const lines = text.split('\n', 1 + clipMergeCount);
    const merges = lines.slice(1, 1 + clipMergeCount);
    if (merges.length < clipMergeCount || !merges.every(isMergePair)) {
      throw new Error(`${path}: not a CLIP BPE merges file (expected ${clipMergeCount} "a b" lines after the header) — use bpe_simple_vocab_16e6.txt.gz from openai/CLIP or the tokenizer/ folder of a diffusers SD1 model`);
    }
    return new ClipTokenizer(merges, undefined, countingOnly);
  }

  /**
   * Only for counting tokens, from a Hugging Face `merges.txt` (vocab.json is not needed to
   * count): the merge lines must be CLIP's, all of them, each "a b".
   */
  static countingFromMerges(mergesPath: string): ClipTokenizer {
    let merges: string[];
    try {
      merges = readFileSync(mergesPath, 'utf8').split('\n').filter((line, i) => line.length > 0 && !(i === 0 && line.startsWith('#version')));
    } catch (error) {
      throw new Error(`${mergesPath}: cannot read the CLIP merges file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (merges.length !== clipMergeCount || !merges.every(isMergePair)) {
      throw new Error(`${mergesPath}: not the SD1 CLIP merges file (expected ${clipMergeCount} "a b" lines, found ${merges.length}) — use the tokenizer of openai/clip-vit-large-patch14`);
    }
    return new ClipTokenizer(merges, undefined, true);
  }

  /** From Hugging Face's `merges.txt` + `vocab.json` (a diffusers `tokenizer/` folder or the HF cache). */
  static fromMergesAndVocab(mergesPath: string, vocabPath: string): ClipTokenizer {
    let merges: string[];
    let vocabObject: Record<string, number>;
    try {
      merges = readFileSync(mergesPath, 'utf8').split('\n').filter((line, i) => line.length > 0 && !(i === 0 && line.startsWith('#version')));
    } catch (error) {
      throw new Error(`${mergesPath}: cannot read the CLIP merges file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    try {
      vocabObject = JSON.parse(readFileSync(vocabPath, 'utf8')) as Record<string, number>;
    } catch (error) {
      throw new Error(`${vocabPath}: cannot read the CLIP vocabulary (${(error as Error).message}) — it must be the vocab.json of openai/clip-vit-large-patch14`);
    }
    const vocab = new Map(Object.entries(vocabObject));
    if (vocab.get('<|startoftext|>') !== clipBosId || vocab.get('<|endoftext|>') !== clipEosId) {
      throw new Error(`${vocabPath}: not the SD1 CLIP vocabulary (<|startoftext|> must be ${clipBosId} and <|endoftext|> ${clipEosId}) — use the tokenizer of openai/clip-vit-large-patch14`);
    }
    return new ClipTokenizer(merges, vocab);
  }

  get vocabSize(): number {
    return this.decoder.length;
  }

  /** BPE of one pre-token (already mapped to the byte alphabet); returns vocab tokens. */
  private bpe(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const chars = [...word];
    let parts = [...chars.slice(0, -1), chars[chars.length - 1] + '</w>'];
    while (parts.length > 1) {
      let bestRank = Infinity;
      let best = -1;
      for (let i = 0; i < parts.length - 1; i++) {
        const rank = this.ranks.get(parts[i] + ' ' + parts[i + 1]);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      // merge every occurrence of the best pair, left to right, as CLIP does
      const first = parts[best];
      const second = parts[best + 1];
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i < parts.length - 1 && parts[i] === first && parts[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else {
          merged.push(parts[i]);
        }
      }
      parts = merged;
    }
    if (this.cache.size < 100_000) this.cache.set(word, parts);
    return parts;
  }

  /** The pre-tokens the CLIP regex finds after clean-up and lower-casing. */
  preTokenize(text: string): string[] {
    const tokens: string[] = [];
    for (const piece of text.split(specialTokenPattern)) {
      if (piece === '<|startoftext|>' || piece === '<|endoftext|>') tokens.push(piece);
      else if (piece !== '') tokens.push(...(normalizePromptText(piece).match(clipPattern) ?? []));
    }
    return tokens;
  }

  /** Token ids of `text`, without BOS/EOS, padding or truncation. */
  tokenize(text: string): number[] {
    if (this.countingOnly) throw new Error('CLIP tokenizer: loaded for counting only (no vocabulary); load it with its vocabulary to get ids');
    const ids: number[] = [];
    for (const token of this.preTokenize(text)) {
      if (token === '<|startoftext|>' || token === '<|endoftext|>') {
        ids.push(this.encoder.get(token)!);
        continue;
      }
      const mapped = Array.from(Buffer.from(token, 'utf8'), (b) => this.byteEncoder[b]).join('');
      for (const piece of this.bpe(mapped)) {
        const id = this.encoder.get(piece);
        if (id === undefined) throw new Error(`CLIP tokenizer: "${piece}" is not in the vocabulary — the merges and vocab files do not belong together`);
        ids.push(id);
      }
    }
    return ids;
  }

  /** How many CLIP tokens the text takes (what the 75-token caption limit counts). */
  tokenCount(text: string): number {
    if (!this.countingOnly) return this.tokenize(text).length;
    let count = 0;
    for (const token of this.preTokenize(text)) {
      if (token === '<|startoftext|>' || token === '<|endoftext|>') count++;
      else count += this.bpe(Array.from(Buffer.from(token, 'utf8'), (b) => this.byteEncoder[b]).join('')).length;
    }
    return count;
  }

  /** SD1 model input: BOS, up to length-2 tokens, EOS, then EOS padding to `length`. */
  encode(text: string, length = clipContextLength): ClipEncoding {
    const content = this.tokenize(text);
    const kept = content.slice(0, length - 2);
    const ids = [clipBosId, ...kept, clipEosId];
    while (ids.length < length) ids.push(clipEosId);
    return { ids, tokenCount: content.length, truncated: content.length > kept.length };
  }

  /** The vocab token of an id (`photo</w>`), for hovers and debugging. */
  tokenText(id: number): string | undefined {
    return this.decoder[id];
  }

  /** The id of a vocab token, if it is one. */
  tokenId(token: string): number | undefined {
    return this.encoder.get(token);
  }

  /** Text of ids (BOS/EOS dropped), with `</w>` turned back into spaces. */
  decode(ids: readonly number[]): string {
    const byteDecoder = new Map(this.byteEncoder.map((c, b) => [c, b]));
    const text = ids.filter((id) => id !== clipBosId && id !== clipEosId).map((id) => this.decoder[id] ?? '').join('');
    const bytes: number[] = [];
    let out = '';
    for (const piece of text.split('</w>')) {
      bytes.length = 0;
      for (const c of piece) bytes.push(byteDecoder.get(c) ?? 0x3f);
      out += Buffer.from(bytes).toString('utf8') + ' ';
    }
    return out.trim();
  }
}
