// The dataset index: every image and caption under a root folder, paired by stem, captions
// parsed into tags, and tag usage counted. It is kept current file by file (`updateFile`,
// `removeFile`) so the language server can re-lint after a keystroke from the editor's text.
import { promises as fs, readFileSync, statSync } from 'node:fs';
import { join, relative, isAbsolute, sep, basename } from 'node:path';
import { parseCaption, type ParsedCaption } from './caption';
import { decodeCaptionBytes, maxCaptionBytes } from './captionDecode';
import { readImageInfo } from './imageInfo';
import {
  scanDatasetFolder,
  isCaptionPath,
  isImagePath,
  isSkippedFolderName,
  stemKeyOf,
  settingsFolder,
  settingsFileNames,
  type ScanOptions,
  type ScanProblem,
  type SettingsFileName,
} from './datasetScan';

export { isCaptionPath, isImagePath, stemKeyOf, settingsFolder, type ScanOptions, type ScanProblem } from './datasetScan';

export interface CaptionEntry {
  path: string;
  stemKey: string;
  /** Parsed text; undefined when the file could not be read as a caption (see `problem`). */
  caption?: ParsedCaption;
  problem?: string;
  /** True when the text came from an open editor rather than the disk. */
  fromEditor: boolean;
}

export interface ImageEntry {
  path: string;
  stemKey: string;
  width?: number;
  height?: number;
  format?: string;
  problem?: string;
}

export interface SettingsFileEntry {
  name: SettingsFileName;
  path: string;
  /** Undefined when the file does not exist. */
  text?: string;
}

export type IndexedFileKind = 'caption' | 'image' | 'settings';

export interface IndexChange {
  /** Absolute paths whose entries were added, changed or removed. */
  files: string[];
  kinds: IndexedFileKind[];
  /** Tag keys whose set of caption files changed (added to or dropped from a caption). */
  tags: string[];
}

export interface BuildOptions extends ScanOptions {
  /** Simultaneous image-header reads while building (default 8). */
  concurrency?: number;
}

export class DatasetIndex {
  readonly root: string;
  readonly scanProblems: ScanProblem[];
  readonly truncated: boolean;
  private readonly captionEntries = new Map<string, CaptionEntry>();
  private readonly imageEntries = new Map<string, ImageEntry>();
  private readonly byStem = new Map<string, { captions: Set<string>; images: Set<string> }>();
  private readonly tagUse = new Map<string, Set<string>>();
  private readonly spellings = new Map<string, Map<string, number>>();
  private readonly settings = new Map<SettingsFileName, SettingsFileEntry>();
  /** Bumped on every change; lets callers cache work per index state. */
  version = 0;
  private parsedCaptions = 0;
  private underscoreStyleCaptions = 0;
  private spaceStyleCaptions = 0;

  private constructor(root: string, scanProblems: ScanProblem[], truncated: boolean) {
    this.root = root;
    this.scanProblems = scanProblems;
    this.truncated = truncated;
  }

  /** Scans `root` and reads every caption, image header and settings file. */
  static async build(root: string, options: BuildOptions = {}): Promise<DatasetIndex> {
    const absoluteRoot = isAbsolute(root) ? root : join(process.cwd(), root);
    const scan = await scanDatasetFolder(absoluteRoot, options);
    const index = new DatasetIndex(absoluteRoot, scan.problems, scan.truncated);
    const concurrency = options.concurrency ?? 8;
    // Captions are tiny: synchronous reads in short batches beat thread-pool round trips, and
    // yielding between batches keeps the process responsive. Image headers go through sharp
    // on the thread pool meanwhile.
    const readCaptions = async () => {
      let batchStart = performance.now();
      for (const path of scan.captions) {
        index.setCaptionEntry(readCaptionEntrySync(path, index.displayName(path)));
        if (performance.now() - batchStart > 8) {
          await new Promise((resolve) => setImmediate(resolve));
          batchStart = performance.now();
        }
      }
    };
    // Most headers are read synchronously (see imageInfo.ts), so yield here too between batches.
    let imageBatchStart = performance.now();
    const readImages = () =>
      forEachLimited(scan.images, concurrency, async (path) => {
        index.setImageEntry(await readImageEntry(path, index.displayName(path)));
        if (performance.now() - imageBatchStart > 8) {
          await new Promise((resolve) => setImmediate(resolve));
          imageBatchStart = performance.now();
        }
      });
    await Promise.all([readCaptions(), readImages()]);
    for (const name of settingsFileNames) {
      const path = join(absoluteRoot, settingsFolder, name);
      index.settings.set(name, { name, path, text: await readTextIfPresent(path) });
    }
    index.version = 1;
    return index;
  }

  /** A path relative to the root, for messages. */
  displayName(path: string): string {
    const rel = relative(this.root, path);
    return rel === '' ? '.' : rel.startsWith('..') ? path : rel.split(sep).join('/');
  }

  captions(): IterableIterator<CaptionEntry> {
    return this.captionEntries.values();
  }

  images(): IterableIterator<ImageEntry> {
    return this.imageEntries.values();
  }

  get captionCount(): number {
    return this.captionEntries.size;
  }

  get imageCount(): number {
    return this.imageEntries.size;
  }

  getCaption(path: string): CaptionEntry | undefined {
    return this.captionEntries.get(path);
  }

  getImage(path: string): ImageEntry | undefined {
    return this.imageEntries.get(path);
  }

  settingsFile(name: SettingsFileName): SettingsFileEntry {
    return this.settings.get(name) ?? { name, path: join(this.root, settingsFolder, name) };
  }

  /** Images with the caption's stem in the caption's folder. */
  imagesForCaption(captionPath: string): ImageEntry[] {
    const group = this.byStem.get(stemKeyOf(captionPath));
    return group ? [...group.images].map((p) => this.imageEntries.get(p)!) : [];
  }

  captionsForImage(imagePath: string): CaptionEntry[] {
    const group = this.byStem.get(stemKeyOf(imagePath));
    return group ? [...group.captions].map((p) => this.captionEntries.get(p)!) : [];
  }

  hasImageForStem(stemKey: string): boolean {
    return (this.byStem.get(stemKey)?.images.size ?? 0) > 0;
  }

  hasCaptionForStem(stemKey: string): boolean {
    return (this.byStem.get(stemKey)?.captions.size ?? 0) > 0;
  }

  /** Captions that parsed, and how many of them write multi-word tags mostly with underscores or with spaces. */
  captionStyleCounts(): { parsed: number; underscores: number; spaces: number } {
    return { parsed: this.parsedCaptions, underscores: this.underscoreStyleCaptions, spaces: this.spaceStyleCaptions };
  }

  private countStyle(entry: CaptionEntry, sign: 1 | -1): void {
    if (!entry.caption) return;
    this.parsedCaptions += sign;
    let underscores = 0;
    let spaces = 0;
    for (const tag of entry.caption.tags) {
      if (tag.usesUnderscores) underscores++;
      else if (tag.usesSpaces) spaces++;
    }
    if (underscores > spaces) this.underscoreStyleCaptions += sign;
    else if (spaces > underscores) this.spaceStyleCaptions += sign;
  }

  /** Caption files that use the tag (compared by `tagKey`). */
  filesWithTag(key: string): ReadonlySet<string> {
    return this.tagUse.get(key) ?? emptySet;
  }

  tagFileCount(key: string): number {
    return this.tagUse.get(key)?.size ?? 0;
  }

  /** Every tag key in use, with the number of caption files using it. */
  tagCounts(): IterableIterator<[string, number]> {
    const entries = this.tagUse.entries();
    return (function* () {
      for (const [key, files] of entries) yield [key, files.size] as [string, number];
    })();
  }

  /** The way the dataset most often writes the tag (`long hair` or `long_hair`). */
  tagSpelling(key: string): string {
    const counts = this.spellings.get(key);
    if (!counts) return key;
    let best = key;
    let bestCount = -1;
    for (const [spelling, count] of counts) {
      if (count > bestCount) {
        best = spelling;
        bestCount = count;
      }
    }
    return best;
  }

  /** True when the path would be indexed (inside the root, not in a skipped folder). */
  covers(path: string): boolean {
    return this.kindOf(path) !== undefined;
  }

  kindOf(path: string): IndexedFileKind | undefined {
    const rel = relative(this.root, path);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
    const parts = rel.split(sep);
    if (parts.length === 2 && parts[0] === settingsFolder && (settingsFileNames as readonly string[]).includes(parts[1])) return 'settings';
    if (parts.slice(0, -1).some(isSkippedFolderName)) return undefined;
    if (isCaptionPath(path)) return 'caption';
    if (isImagePath(path)) return 'image';
    return undefined;
  }

  /**
   * Brings one file up to date. For a caption, `text` is the editor's in-memory content;
   * without it the file is read from disk (and forgotten if it no longer exists).
   */
  async updateFile(path: string, text?: string): Promise<IndexChange> {
    const kind = this.kindOf(path);
    if (!kind) return { files: [], kinds: [], tags: [] };
    if (kind === 'settings') {
      const name = basename(path) as SettingsFileName;
      this.settings.set(name, { name, path, text: text ?? (await readTextIfPresent(path)) });
      this.version++;
      return { files: [path], kinds: ['settings'], tags: [] };
    }
    let tags: string[] = [];
    if (kind === 'caption') {
      if (text !== undefined) {
        tags = this.setCaptionEntry(captionEntryFromText(path, text, this.displayName(path), true));
      } else {
        if (!(await exists(path))) return this.removeFile(path);
        tags = this.setCaptionEntry(await readCaptionEntry(path, this.displayName(path)));
      }
    } else {
      if (!(await exists(path))) return this.removeFile(path);
      this.setImageEntry(await readImageEntry(path, this.displayName(path)));
    }
    this.version++;
    return { files: [path], kinds: [kind], tags };
  }

  /** Updates a caption from an editor's text without touching the disk (synchronous). */
  setCaptionText(path: string, text: string): IndexChange {
    if (this.kindOf(path) !== 'caption') return { files: [], kinds: [], tags: [] };
    const tags = this.setCaptionEntry(captionEntryFromText(path, text, this.displayName(path), true));
    this.version++;
    return { files: [path], kinds: ['caption'], tags };
  }

  removeFile(path: string): IndexChange {
    const kind = this.kindOf(path);
    if (kind === 'settings') {
      const name = basename(path) as SettingsFileName;
      this.settings.set(name, { name, path });
      this.version++;
      return { files: [path], kinds: ['settings'], tags: [] };
    }
    const caption = this.captionEntries.get(path);
    if (caption) {
      this.forgetCaptionTags(caption);
      this.captionEntries.delete(path);
      this.byStem.get(caption.stemKey)?.captions.delete(path);
      this.version++;
      return { files: [path], kinds: ['caption'], tags: [...new Set((caption.caption?.tags ?? []).map((t) => t.key))] };
    }
    const image = this.imageEntries.get(path);
    if (image) {
      this.imageEntries.delete(path);
      this.byStem.get(image.stemKey)?.images.delete(path);
      this.version++;
      return { files: [path], kinds: ['image'], tags: [] };
    }
    // A deleted folder: forget everything under it.
    const prefix = path.endsWith(sep) ? path : path + sep;
    const total: IndexChange = { files: [], kinds: [], tags: [] };
    for (const p of [...this.captionEntries.keys(), ...this.imageEntries.keys()]) {
      if (!p.startsWith(prefix)) continue;
      const change = this.removeFile(p);
      total.files.push(...change.files);
      total.kinds.push(...change.kinds);
      total.tags.push(...change.tags);
    }
    return total;
  }

  private stemGroup(stemKey: string): { captions: Set<string>; images: Set<string> } {
    let group = this.byStem.get(stemKey);
    if (!group) {
      group = { captions: new Set(), images: new Set() };
      this.byStem.set(stemKey, group);
    }
    return group;
  }

  /** Stores the entry; returns the tag keys whose file sets changed. */
  private setCaptionEntry(entry: CaptionEntry): string[] {
    const previous = this.captionEntries.get(entry.path);
    const before = new Set((previous?.caption?.tags ?? []).map((t) => t.key));
    const after = new Set((entry.caption?.tags ?? []).map((t) => t.key));
    if (previous) this.forgetCaptionTags(previous);
    this.countStyle(entry, 1);
    this.captionEntries.set(entry.path, entry);
    this.stemGroup(entry.stemKey).captions.add(entry.path);
    for (const tag of entry.caption?.tags ?? []) {
      let files = this.tagUse.get(tag.key);
      if (!files) {
        files = new Set();
        this.tagUse.set(tag.key, files);
      }
      files.add(entry.path);
      let counts = this.spellings.get(tag.key);
      if (!counts) {
        counts = new Map();
        this.spellings.set(tag.key, counts);
      }
      counts.set(tag.raw, (counts.get(tag.raw) ?? 0) + 1);
    }
    const changed: string[] = [];
    for (const key of before) if (!after.has(key)) changed.push(key);
    for (const key of after) if (!before.has(key)) changed.push(key);
    return changed;
  }

  private forgetCaptionTags(entry: CaptionEntry): void {
    this.countStyle(entry, -1);
    for (const tag of entry.caption?.tags ?? []) {
      const files = this.tagUse.get(tag.key);
      if (files) {
        files.delete(entry.path);
        if (files.size === 0) this.tagUse.delete(tag.key);
      }
      const counts = this.spellings.get(tag.key);
      if (counts) {
        const n = (counts.get(tag.raw) ?? 1) - 1;
        if (n <= 0) counts.delete(tag.raw);
        else counts.set(tag.raw, n);
        if (counts.size === 0) this.spellings.delete(tag.key);
      }
    }
  }

  private setImageEntry(entry: ImageEntry): void {
    this.imageEntries.set(entry.path, entry);
    this.stemGroup(entry.stemKey).images.add(entry.path);
  }
}

const emptySet: ReadonlySet<string> = new Set();

function captionEntryFromText(path: string, text: string, displayName: string, fromEditor: boolean): CaptionEntry {
  const stemKey = stemKeyOf(path);
  if (text.length > maxCaptionBytes) {
    return {
      path,
      stemKey,
      fromEditor,
      problem: `${displayName} holds ${text.length} characters; a caption is a short tag list (a few KB at most), so it was not checked. Move other text files out of the dataset folder.`,
    };
  }
  return { path, stemKey, fromEditor, caption: parseCaption(text) };
}

async function readCaptionEntry(path: string, displayName: string): Promise<CaptionEntry> {
  const stemKey = stemKeyOf(path);
  let bytes: Uint8Array;
  try {
    const handle = await fs.open(path, 'r');
    try {
      // Never read more than the cap (plus one byte to know it was exceeded).
      const size = (await handle.stat()).size;
      if (size > maxCaptionBytes) {
        return { path, stemKey, fromEditor: false, problem: tooLarge(displayName, size) };
      }
      const buffer = Buffer.alloc(size);
      const { bytesRead } = await handle.read(buffer, 0, size, 0);
      bytes = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { path, stemKey, fromEditor: false, problem: unreadableCaption(displayName, error) };
  }
  return captionEntryFromBytes(path, stemKey, bytes, displayName);
}

function readCaptionEntrySync(path: string, displayName: string): CaptionEntry {
  const stemKey = stemKeyOf(path);
  let bytes: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > maxCaptionBytes) return { path, stemKey, fromEditor: false, problem: tooLarge(displayName, size) };
    bytes = readFileSync(path);
  } catch (error) {
    return { path, stemKey, fromEditor: false, problem: unreadableCaption(displayName, error) };
  }
  return captionEntryFromBytes(path, stemKey, bytes, displayName);
}

function unreadableCaption(displayName: string, error: unknown): string {
  return `${displayName} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check its permissions.`;
}

function captionEntryFromBytes(path: string, stemKey: string, bytes: Uint8Array, displayName: string): CaptionEntry {
  const decoded = decodeCaptionBytes(bytes, displayName);
  if (!decoded.ok) return { path, stemKey, fromEditor: false, problem: decoded.problem };
  return { path, stemKey, fromEditor: false, caption: parseCaption(decoded.text) };
}

function tooLarge(displayName: string, size: number): string {
  return `${displayName} is ${(size / (1024 * 1024)).toFixed(1)} MB; a caption is a short tag list (a few KB at most), so it was not read. Move other text files out of the dataset folder.`;
}

async function readImageEntry(path: string, displayName: string): Promise<ImageEntry> {
  const info = await readImageInfo(path, displayName);
  const stemKey = stemKeyOf(path);
  return info.ok ? { path, stemKey, width: info.width, height: info.height, format: info.format } : { path, stemKey, problem: info.problem };
}

async function readTextIfPresent(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(workers);
}

/** Several changes as one (e.g. edits collected between two lint runs), for `LintSession.update`. */
export function mergeIndexChanges(changes: Iterable<IndexChange>): IndexChange {
  const files = new Set<string>();
  const kinds = new Set<IndexedFileKind>();
  const tags = new Set<string>();
  for (const change of changes) {
    change.files.forEach((f) => files.add(f));
    change.kinds.forEach((k) => kinds.add(k));
    change.tags.forEach((t) => tags.add(t));
  }
  return { files: [...files], kinds: [...kinds], tags: [...tags] };
}
