// The dataset index: every image and caption under a root folder, paired by stem, captions
// parsed into tags, and tag usage counted. It is kept current file by file (`updateFile`,
// `removeFile`) so the language server can re-lint after a keystroke from the editor's text.
import { promises as fs, openSync, readSync, closeSync, fstatSync, lstatSync } from 'node:fs';
import { join, relative, isAbsolute, sep, basename } from 'node:path';
import { parseCaption, type ParsedCaption } from './caption';
import { captionTooLargeMessage, decodeCaptionBytes, maxCaptionBytes } from './captionDecode';
import { parsePlainPngHeader, pngProbeBytes, readImageInfo, readPlainPngSize, verifyImageData } from './imageInfo';
import { linkVerdictSync, realRootOf } from './datasetLinks';
import { readFilesOnWorker } from './fileReadWorker';
import { availableParallelism } from 'node:os';
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
  /**
   * Where caption files and PNG headers are read: on a worker thread while this one parses
   * (`auto` does so for large datasets on machines with more than one core), or here.
   */
  fileReading?: 'auto' | 'worker' | 'this-thread';
  /**
   * Decode every image in full, as training will (the header alone passes damaged data):
   * `true` for all, a number for datasets of at most that many images. Default: headers and
   * file ends only.
   */
  verifyImageData?: boolean | number;
}

/** From this many captions and PNGs on, a worker thread's start-up is worth it (`fileReading: 'auto'`). */
const workerReadingThreshold = 2000;

export class DatasetIndex {
  readonly root: string;
  /** The root's real path: files whose real path leaves it are never read (datasetLinks). */
  readonly realRoot: string;
  readonly scanProblems: ScanProblem[];
  readonly truncated: boolean;
  /** Whether image data was decoded in full at build (BuildOptions.verifyImageData). */
  imageDataVerified = false;
  /** Verdicts of links given by the editor (setCaptionText runs on every keystroke). */
  private readonly linkProblems = new Map<string, string | null>();
  private readonly captionEntries = new Map<string, CaptionEntry>();
  private readonly imageEntries = new Map<string, ImageEntry>();
  /** Files by stem key: nearly always one caption and one image, so arrays, not sets. */
  private readonly byStem = new Map<string, { captions: string[]; images: string[] }>();
  /** How many captions use each tag key. */
  private readonly tagUse = new Map<string, number>();
  /**
   * The captions using a tag key, for the keys someone asked about (hover, fixes, re-lints),
   * built on first request and kept current after; building them for every tag up front was
   * a large share of indexing.
   */
  private readonly tagFiles = new Map<string, Set<string>>();
  private readonly spellings = new Map<string, Map<string, number>>();
  private readonly settings = new Map<SettingsFileName, SettingsFileEntry>();
  /** Bumped on every change; lets callers cache work per index state. */
  version = 0;
  private parsedCaptions = 0;
  private underscoreStyleCaptions = 0;
  private spaceStyleCaptions = 0;

  private constructor(root: string, scanProblems: ScanProblem[], truncated: boolean) {
    this.root = root;
    this.realRoot = realRootOf(root);
    this.scanProblems = scanProblems;
    this.truncated = truncated;
  }

  /** Scans `root` and reads every caption, image header and settings file. */
  static async build(root: string, options: BuildOptions = {}): Promise<DatasetIndex> {
    const absoluteRoot = isAbsolute(root) ? root : join(process.cwd(), root);
    const scan = await scanDatasetFolder(absoluteRoot, options);
    const index = new DatasetIndex(absoluteRoot, scan.problems, scan.truncated);
    const concurrency = options.concurrency ?? 8;
    // Links no command may use are entries with their verdict, never read.
    for (const [path, problem] of scan.refusedLinks) {
      if (isCaptionPath(path)) index.setCaptionEntry({ path, stemKey: stemKeyOf(path), fromEditor: false, problem });
      else index.setImageEntry({ path, stemKey: stemKeyOf(path), problem });
      index.linkProblems.set(path, problem);
    }
    if (scan.refusedLinks.size > 0) {
      scan.images = scan.images.filter((p) => !scan.refusedLinks.has(p));
      scan.captions = scan.captions.filter((p) => !scan.refusedLinks.has(p));
    }
    // Captions and plain PNG headers are tiny: synchronous reads in short slices beat thread-pool
    // round trips several times over, and yielding between slices keeps the process answering.
    // Other formats go to sharp on the thread pool, started first so they overlap.
    const viaSharp = scan.images.filter((path) => !path.toLowerCase().endsWith('.png'));
    const pending = forEachLimited(viaSharp, concurrency, async (path) => index.setImageEntry(await readImageEntry(path, index.displayName(path))));
    let sliceStart = performance.now();
    const yieldIfDue = async () => {
      if (performance.now() - sliceStart < 8) return;
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    };
    const pngs = scan.images.filter((path) => path.toLowerCase().endsWith('.png'));
    const unusualPngs: string[] = [];
    const captionRead = new Uint8Array(scan.captions.length);
    const pngRead = new Uint8Array(pngs.length);
    // The environment variable is a way out should worker threads misbehave somewhere (and lets benchmarks compare).
    const mode = options.fileReading ?? (process.env.EMBEDDING_STUDIO_FILE_READING === 'this-thread' ? 'this-thread' : 'auto');
    if (mode === 'worker' || (mode === 'auto' && scan.captions.length + pngs.length >= workerReadingThreshold && availableParallelism() > 1)) {
      try {
        for await (const batch of readFilesOnWorker({ captions: scan.captions, pngs, maxCaptionBytes, pngProbeBytes })) {
          const problems = new Map(batch.problems.map(([k, kind, detail]) => [k, { kind, detail }]));
          let offset = 0;
          for (let k = 0; k < batch.lengths.length; k++) {
            const i = batch.start + k;
            const length = batch.lengths[k];
            const bytes = length >= 0 ? batch.data.subarray(offset, offset + length) : undefined;
            if (length > 0) offset += length;
            if (batch.kind === 'captions') {
              const path = scan.captions[i];
              const problem = problems.get(k);
              index.setCaptionEntry(
                bytes
                  ? captionEntryFromBytes(path, stemKeyOf(path), bytes, () => index.displayName(path))
                  : problem?.kind === 'size'
                    ? { path, stemKey: stemKeyOf(path), fromEditor: false, problem: tooLarge(index.displayName(path), Number(problem.detail)) }
                    : { path, stemKey: stemKeyOf(path), fromEditor: false, problem: unreadableCaption(index.displayName(path), { code: String(problem?.detail) }) },
              );
              captionRead[i] = 1;
            } else {
              // an unreadable or incomplete PNG goes to sharp too, which words the problem
              const path = pngs[i];
              const size = bytes ? parsePlainPngHeader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) : undefined;
              if (size) index.setImageEntry({ path, stemKey: stemKeyOf(path), width: size.width, height: size.height, format: 'png' });
              else unusualPngs.push(path); // sharp decides, and words any problem
              pngRead[i] = 1;
            }
          }
          await yieldIfDue();
        }
      } catch {
        // The worker could not start or stopped: what it did not deliver is read below, here.
      }
    }
    for (let i = 0; i < scan.captions.length; i++) {
      if (captionRead[i]) continue;
      index.setCaptionEntry(readCaptionEntrySync(scan.captions[i], index));
      await yieldIfDue();
    }
    for (let i = 0; i < pngs.length; i++) {
      if (pngRead[i]) continue;
      const path = pngs[i];
      const size = readPlainPngSize(path);
      if (size) index.setImageEntry({ path, stemKey: stemKeyOf(path), width: size.width, height: size.height, format: 'png' });
      else unusualPngs.push(path);
      await yieldIfDue();
    }
    await Promise.all([pending, forEachLimited(unusualPngs, concurrency, async (path) => index.setImageEntry(await readImageEntry(path, index.displayName(path))))]);
    const verify = options.verifyImageData;
    if (verify === true || (typeof verify === 'number' && index.imageEntries.size <= verify)) {
      const readable = [...index.imageEntries.values()].filter((e) => !e.problem);
      // full decodes are CPU work on libvips' threads: a few at a time
      await forEachLimited(readable, Math.max(1, Math.min(4, availableParallelism())), async (entry) => {
        const problem = await verifyImageData(entry.path, index.displayName(entry.path));
        if (problem) index.setImageEntry({ path: entry.path, stemKey: entry.stemKey, problem });
      });
      index.imageDataVerified = true;
    }
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
    return group ? group.images.map((p) => this.imageEntries.get(p)!) : [];
  }

  captionsForImage(imagePath: string): CaptionEntry[] {
    const group = this.byStem.get(stemKeyOf(imagePath));
    return group ? group.captions.map((p) => this.captionEntries.get(p)!) : [];
  }

  /** Captions and images with this stem key (a caption and its image pair by it). */
  *filesOfStem(stemKey: string): IterableIterator<string> {
    const group = this.byStem.get(stemKey);
    if (!group) return;
    yield* group.captions;
    yield* group.images;
  }

  hasImageForStem(stemKey: string): boolean {
    return (this.byStem.get(stemKey)?.images.length ?? 0) > 0;
  }

  hasCaptionForStem(stemKey: string): boolean {
    return (this.byStem.get(stemKey)?.captions.length ?? 0) > 0;
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
    let files = this.tagFiles.get(key);
    if (!files) {
      if (!this.tagUse.has(key)) return emptySet;
      files = new Set();
      for (const [path, entry] of this.captionEntries) if (entry.caption?.keys.has(key)) files.add(path);
      this.tagFiles.set(key, files);
    }
    return files;
  }

  tagFileCount(key: string): number {
    return this.tagUse.get(key) ?? 0;
  }

  /** Every tag key in use, with the number of caption files using it. */
  tagCounts(): IterableIterator<[string, number]> {
    return this.tagUse.entries();
  }

  /** The way the dataset most often writes the tag (`long hair` or `long_hair`). */
  tagSpelling(key: string): string {
    const counts = this.spellings.get(key);
    if (!counts) return key;
    // Other spellings are counted per use; the key's own spelling is what the other uses leave
    // of the files using the tag (a tag repeated within one caption counts once there).
    let others = 0;
    let best = key;
    let bestCount = 0;
    for (const [spelling, count] of counts) {
      others += count;
      if (count > bestCount) {
        best = spelling;
        bestCount = count;
      }
    }
    return this.tagFileCount(key) - others >= bestCount ? key : best;
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
    // a file (re)appearing as a link out of the dataset, looping or dangling is used by nothing
    this.linkProblems.delete(path);
    const refused = this.refusedLink(path);
    if (refused) {
      if (kind === 'caption') tags = this.setCaptionEntry({ path, stemKey: stemKeyOf(path), fromEditor: false, problem: refused });
      else this.setImageEntry({ path, stemKey: stemKeyOf(path), problem: refused });
      this.version++;
      return { files: [path], kinds: [kind], tags };
    }
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
    // an editor open on a link leaving the dataset: its text is neither linted nor fixed
    const refused = this.refusedLink(path);
    if (refused) {
      if (this.captionEntries.get(path)?.problem === refused) return { files: [], kinds: [], tags: [] };
      const tags = this.setCaptionEntry({ path, stemKey: stemKeyOf(path), fromEditor: false, problem: refused });
      this.version++;
      return { files: [path], kinds: ['caption'], tags };
    }
    const tags = this.setCaptionEntry(captionEntryFromText(path, text, this.displayName(path), true));
    this.version++;
    return { files: [path], kinds: ['caption'], tags };
  }

  /** Records that an image's data cannot be used (found after the build: a full decode). */
  markImageUnusable(path: string, problem: string): IndexChange {
    const entry = this.imageEntries.get(path);
    if (!entry || entry.problem === problem) return { files: [], kinds: [], tags: [] };
    this.setImageEntry({ path, stemKey: entry.stemKey, problem });
    this.version++;
    return { files: [path], kinds: ['image'], tags: [] };
  }

  /** The verdict of datasetLinks when `path` is a link no command may use (cached until the file changes). */
  refusedLink(path: string): string | undefined {
    let problem = this.linkProblems.get(path);
    if (problem === undefined) {
      const verdict = linkVerdictSync(path, this.realRoot, this.displayName(path));
      // a path that does not exist (yet) is no link problem: an editor may hold an unsaved file
      problem = 'message' in verdict && verdict.kind !== 'unreadable' && (verdict.kind !== 'dangling' || isLink(path)) ? verdict.message : null;
      this.linkProblems.set(path, problem);
    }
    return problem ?? undefined;
  }

  removeFile(path: string): IndexChange {
    this.linkProblems.delete(path);
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
      removeFrom(this.byStem.get(caption.stemKey)?.captions, path);
      this.version++;
      return { files: [path], kinds: ['caption'], tags: [...new Set((caption.caption?.tags ?? []).map((t) => t.key))] };
    }
    const image = this.imageEntries.get(path);
    if (image) {
      this.imageEntries.delete(path);
      removeFrom(this.byStem.get(image.stemKey)?.images, path);
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

  private stemGroup(stemKey: string): { captions: string[]; images: string[] } {
    let group = this.byStem.get(stemKey);
    if (!group) {
      group = { captions: [], images: [] };
      this.byStem.set(stemKey, group);
    }
    return group;
  }

  /** Stores the entry; returns the tag keys whose file sets changed. */
  private setCaptionEntry(entry: CaptionEntry): string[] {
    const previous = this.captionEntries.get(entry.path);
    if (previous) this.forgetCaptionTags(previous);
    else this.stemGroup(entry.stemKey).captions.push(entry.path);
    this.countStyle(entry, 1);
    this.captionEntries.set(entry.path, entry);
    const caption = entry.caption;
    if (!caption) return [...(previous?.caption?.keys ?? [])];
    const tracked = this.tagFiles.size > 0;
    for (const key of caption.keys) {
      this.tagUse.set(key, (this.tagUse.get(key) ?? 0) + 1);
      if (tracked) this.tagFiles.get(key)?.add(entry.path);
    }
    // Only spellings other than the key itself are counted (see `tagSpelling`).
    for (const tag of caption.tags) {
      if (tag.raw === tag.key) continue;
      let counts = this.spellings.get(tag.key);
      if (!counts) {
        counts = new Map();
        this.spellings.set(tag.key, counts);
      }
      counts.set(tag.raw, (counts.get(tag.raw) ?? 0) + 1);
    }
    if (!previous) return [...caption.keys];
    const before = previous.caption?.keys ?? emptySet;
    const changed: string[] = [];
    for (const key of before) if (!caption.keys.has(key)) changed.push(key);
    for (const key of caption.keys) if (!before.has(key)) changed.push(key);
    return changed;
  }

  private forgetCaptionTags(entry: CaptionEntry): void {
    this.countStyle(entry, -1);
    const caption = entry.caption;
    if (!caption) return;
    for (const key of caption.keys) {
      const count = (this.tagUse.get(key) ?? 1) - 1;
      if (count > 0) {
        this.tagUse.set(key, count);
        this.tagFiles.get(key)?.delete(entry.path);
      } else {
        this.tagUse.delete(key);
        this.tagFiles.delete(key);
      }
    }
    for (const tag of caption.tags) {
      const counts = tag.raw === tag.key ? undefined : this.spellings.get(tag.key);
      if (counts) {
        const n = (counts.get(tag.raw) ?? 1) - 1;
        if (n <= 0) counts.delete(tag.raw);
        else counts.set(tag.raw, n);
        if (counts.size === 0) this.spellings.delete(tag.key);
      }
    }
  }

  private setImageEntry(entry: ImageEntry): void {
    if (!this.imageEntries.has(entry.path)) this.stemGroup(entry.stemKey).images.push(entry.path);
    this.imageEntries.set(entry.path, entry);
  }
}

const emptySet: ReadonlySet<string> = new Set();

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function removeFrom(list: string[] | undefined, item: string): void {
  const at = list?.indexOf(item) ?? -1;
  if (at >= 0) list!.splice(at, 1);
}

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

/** One buffer for every synchronous caption read: a caption is decoded to a string at once. */
let captionReadBuffer: Buffer | undefined;

function readCaptionEntrySync(path: string, index: DatasetIndex): CaptionEntry {
  const stemKey = stemKeyOf(path);
  const buffer = (captionReadBuffer ??= Buffer.allocUnsafe(maxCaptionBytes + 1));
  let length = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      // Read at most one byte past the cap: enough to know a file is too large without reading it.
      for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, length)) > 0; ) length += n;
      if (length > maxCaptionBytes) return { path, stemKey, fromEditor: false, problem: tooLarge(index.displayName(path), fstatSync(fd).size) };
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return { path, stemKey, fromEditor: false, problem: unreadableCaption(index.displayName(path), error) };
  }
  return captionEntryFromBytes(path, stemKey, buffer.subarray(0, length), () => index.displayName(path));
}

function unreadableCaption(displayName: string, error: unknown): string {
  return `${displayName} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check its permissions.`;
}

function captionEntryFromBytes(path: string, stemKey: string, bytes: Uint8Array, displayName: string | (() => string)): CaptionEntry {
  const decoded = decodeCaptionBytes(bytes, displayName);
  if (!decoded.ok) return { path, stemKey, fromEditor: false, problem: decoded.problem };
  return { path, stemKey, fromEditor: false, caption: parseCaption(decoded.text) };
}

function tooLarge(displayName: string, size: number): string {
  return captionTooLargeMessage(displayName, size);
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
