// What the language server needs from the dataset index and the lint engine, in one narrow
// interface. `lintEngineAdapter.ts` implements it over `src/dataset` and `src/lint`; the LSP
// wiring (`captionServer.ts`) only sees this, so it stays independent of the engine's internals.
import type { LintDiagnostic, LintFix, Severity, TextEdit } from '../lint/types';
import type { CaptionServerSettings, RuleDoc } from '../protocol/languageServerMessages';

export interface TagUsage {
  /** The dataset's most frequent spelling of the tag. */
  tag: string;
  /** The comparison form (`Long_Hair` and `long hair` share one). */
  key: string;
  /** How many captions use the tag. */
  count: number;
}

export interface TagSpan {
  /** As written. */
  tag: string;
  key: string;
  /** UTF-16 offsets in the caption text. */
  start: number;
  end: number;
}

export interface DatasetSummary {
  folder: string;
  images: number;
  captions: number;
  imagesWithoutCaption: number;
  /** The most used tags of this dataset, most frequent first (at most 30). */
  topTags: Array<{ tag: string; count: number }>;
}

export interface LintResult {
  all: ReadonlyMap<string, LintDiagnostic[]>;
  changed: readonly string[] | 'all';
}

export interface DatasetLinter {
  /**
   * Scan these folders from disk (replacing what was indexed). A folder that cannot be read is
   * skipped; the returned messages say which and why.
   */
  index(folders: string[]): Promise<string[]>;
  /** A file was created, changed or deleted on disk. */
  fileChanged(file: string, kind: 'created' | 'changed' | 'deleted'): Promise<void>;
  /** The editor's text of a caption (unsaved edits), or undefined to go back to the disk's. */
  setOpenText(file: string, text: string | undefined): Promise<void>;
  /** Whether this path is a caption the index knows (pairs with an image or is reported as orphan). */
  isCaption(file: string): boolean;
  configure(settings: CaptionServerSettings): void;
  /** The edits of a fix the engine computes on demand (`LintFix.deferred`), from the current texts. */
  resolveFix(fix: LintFix): TextEdit[];
  /**
   * Lints what changed since the last call (everything after `index`/`configure`): every
   * diagnostic by absolute file path, and which files' diagnostics may have changed.
   */
  lint(): LintResult;
  /** The comparison form of a tag. */
  keyOf(tag: string): string;
  /** The tags of a caption text with their source ranges. */
  tagsOf(text: string): TagSpan[];
  /** Every tag in the datasets with how many captions use it, by key. */
  tagUsage(): Map<string, TagUsage>;
  /** Absolute paths of the captions that use a tag key, sorted. */
  filesWithTag(key: string): string[];
  /** Tags the knowledge base knows (for completion), each with its key and category. */
  knownTags(): Array<{ tag: string; key: string; category: string }>;
  /** The knowledge base's category of a tag key (`clothing`, `meta`, `people count`, …), if any. */
  categoryOf(key: string): string | undefined;
  ruleDoc(id: string): RuleDoc | undefined;
  ruleIds(): string[];
  defaultSeverity(id: string): Severity | undefined;
  summaries(): DatasetSummary[];
  /** Captions in all datasets. */
  captionCount(): number;
  /**
   * Calls `listener` when the index changed by itself (an image found damaged by the decoding
   * that follows indexing): lint and publish again.
   */
  onBackgroundChange?(listener: () => void): void;
}
