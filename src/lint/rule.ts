// The shape of a lint rule: one per file in ./rules, named by its id. A rule reads a target
// (a caption, an image, or the dataset as a whole) and reports problems with fixes as plain
// data; it never touches an editor or the disk.
import type { CaptionEntry, DatasetIndex, ImageEntry } from '../dataset/datasetIndex';
import type { ParsedCaption } from '../dataset/caption';
import type { DeferredFix, LintFix, Range, Severity, TextEdit } from './types';
import type { ResolvedLintSettings } from './resolvedSettings';

export type LintTarget =
  | { kind: 'caption'; file: string; entry: CaptionEntry; caption?: ParsedCaption }
  | { kind: 'image'; file: string; entry: ImageEntry }
  | { kind: 'dataset'; file: string };

export type LintTargetKind = LintTarget['kind'];

export interface RuleProblem {
  range: Range;
  message: string;
  /**
   * The fixes, or a function building them when first asked (an editor asks for a few problems'
   * fixes; a full lint reports thousands). It must capture what it needs: it may run much later.
   */
  fixes?: LintFix[] | (() => LintFix[]);
  /** Overrides the rule's default severity (a user's setting overrides both). */
  severity?: Severity;
  data?: Record<string, unknown>;
  /** Only for dataset targets: the file the problem concerns (default: the dataset root). */
  file?: string;
}

/**
 * Dataset-wide facts a rule may ask for. The engine records which target asked what, so after
 * a change only targets whose answers changed are re-linted.
 */
export interface DatasetQueries {
  /** Captions that parsed (unreadable ones excluded). */
  captionCount(): number;
  imageCount(): number;
  tagFileCount(key: string): number;
  isRareTag(key: string): boolean;
  hasImage(stemKey: string): boolean;
  hasCaption(stemKey: string): boolean;
  /** How most caption files write multi-word tags; undefined when there is no majority. */
  underscoreMajority(): 'underscores' | 'spaces' | undefined;
  /** Clothing tags that most captions share (the dataset's outfit). */
  outfitMajority(): string[];
  /** True when this clothing tag is worn in only a few images while others wear something else. */
  isOutfitOutlier(key: string): boolean;
  /** Trait tags (hair, eyes…) present in nearly every caption. */
  fixedTraits(): string[];
  /** Tags of the dataset that end with the general tag (`maple leaf` for `leaf`), most used first. */
  specificsOf(generalKey: string): string[];
}

export interface RuleContext {
  index: DatasetIndex;
  dataset: DatasetQueries;
  settings: ResolvedLintSettings;
  report(problem: RuleProblem): void;
}

export interface FixContext {
  index: DatasetIndex;
  settings: ResolvedLintSettings;
}

export interface LintRule {
  id: string;
  defaultSeverity: Severity;
  /** One line. */
  summary: string;
  /** One paragraph of markdown: what the rule finds, why it matters for an embedding, the fixes. */
  doc: string;
  targets: readonly LintTargetKind[];
  check(target: LintTarget, context: RuleContext): void;
  /** Computes the edits of a dataset-wide fix this rule offered, from the files' current text. */
  resolveDeferred?(fix: DeferredFix, context: FixContext): TextEdit[];
}
