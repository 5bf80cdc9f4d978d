// Walking a dataset folder: images and caption files, never following a symlinked folder into
// a loop (real paths are remembered), skipping dot-folders and node_modules, and stopping at a
// cap so a folder of a million files cannot hang the editor.
import { promises as fs, type Dirent } from 'node:fs';
import { join, extname, normalize, relative, sep } from 'node:path';
import { linkVerdict } from './datasetLinks';
import { imageExtensions } from './imageInfo';

export const captionExtensions = ['.txt', '.caption'];
/** Workspace settings kept beside the dataset (see docs/rules/README.md). */
export const settingsFolder = '.embedding-studio';
export const settingsFileNames = ['tag-advice.json', 'training.json'] as const;
export type SettingsFileName = (typeof settingsFileNames)[number];

export interface ScanOptions {
  /** Stop collecting after this many images + captions (default 50,000). */
  maxFiles?: number;
  /** Do not descend deeper than this (default 32 folders). */
  maxDepth?: number;
}

export interface ScanProblem {
  path: string;
  message: string;
}

export interface ScanResult {
  images: string[];
  captions: string[];
  problems: ScanProblem[];
  /**
   * Images and captions (in the lists above) that are links no command may use: looping,
   * dangling, or leaving the dataset folder (datasetLinks), with the message saying so.
   */
  refusedLinks: Map<string, string>;
  /** True when the cap stopped the walk: the index holds only part of the folder. */
  truncated: boolean;
}

export function isImagePath(path: string): boolean {
  return imageExtensions.includes(extname(path).toLowerCase());
}

export function isCaptionPath(path: string): boolean {
  return captionExtensions.includes(extname(path).toLowerCase());
}

export function isSkippedFolderName(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

export async function scanDatasetFolder(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const maxFiles = options.maxFiles ?? 50_000;
  const maxDepth = options.maxDepth ?? 32;
  const result: ScanResult = { images: [], captions: [], problems: [], refusedLinks: new Map(), truncated: false };
  const seenFolders = new Set<string>();
  let realRoot: string;
  try {
    realRoot = await fs.realpath(root);
    seenFolders.add(realRoot);
  } catch (error) {
    throw new Error(`${root}: cannot open the dataset folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path and its permissions.`);
  }
  const queue: Array<{ path: string; depth: number }> = [{ path: normalize(root), depth: 0 }];
  while (queue.length > 0 && !result.truncated) {
    const folder = queue.shift()!;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(folder.path, { withFileTypes: true });
    } catch (error) {
      result.problems.push({
        path: folder.path,
        message: `${folder.path}: folder could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); its images and captions are not checked. Fix its permissions or move it out of the dataset.`,
      });
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let sliceStart = performance.now();
    for (const entry of entries) {
      // A huge folder is walked in slices so the process keeps answering meanwhile.
      if (performance.now() - sliceStart > 8) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
      // `join` would normalise again what is normal already (entry names hold no separator).
      const path = folder.path.endsWith(sep) ? folder.path + entry.name : folder.path + sep + entry.name;
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const verdict = await linkVerdict(path, realRoot, relative(root, path).split(sep).join('/'));
        if ('message' in verdict) {
          // a would-be dataset file is listed with its verdict (reported on it, used by nothing)
          if (isImagePath(entry.name) || isCaptionPath(entry.name)) {
            (isImagePath(entry.name) ? result.images : result.captions).push(path);
            result.refusedLinks.set(path, verdict.message);
          } else if (verdict.isDirectory && !isSkippedFolderName(entry.name)) result.problems.push({ path, message: verdict.message });
          continue;
        }
        isDirectory = verdict.isDirectory;
        isFile = verdict.isFile;
      }
      if (isDirectory) {
        if (isSkippedFolderName(entry.name)) continue;
        if (folder.depth + 1 > maxDepth) {
          result.problems.push({ path, message: `${path}: nested more than ${maxDepth} folders deep; not scanned.` });
          continue;
        }
        let real: string;
        try {
          real = await fs.realpath(path);
        } catch {
          continue;
        }
        if (seenFolders.has(real)) continue; // a symlink back into a folder already walked
        seenFolders.add(real);
        queue.push({ path, depth: folder.depth + 1 });
      } else if (isFile) {
        const list = isImagePath(entry.name) ? result.images : isCaptionPath(entry.name) ? result.captions : undefined;
        if (!list) continue;
        if (result.images.length + result.captions.length >= maxFiles) {
          result.truncated = true;
          result.problems.push({
            path: root,
            message: `${root}: more than ${maxFiles} images and captions; only the first ${maxFiles} are indexed. Open the dataset's own folder rather than a parent of many datasets.`,
          });
          break;
        }
        list.push(path);
      }
    }
  }
  return result;
}

/** `dir/img001.png` and `dir/img001.txt` share the key `dir/img001`. */
export function stemKeyOf(path: string): string {
  const ext = extname(path);
  const stem = ext.length > 0 ? path.slice(0, path.length - ext.length) : path;
  // Indexed paths are normalised already; anything that might not be goes through `normalize`.
  return stem.includes('/.') || stem.includes('//') || stem.includes('\\') ? normalize(stem) : stem;
}
