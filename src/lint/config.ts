// What the user configures: per-rule severity or `off` (setting `embeddingStudio.lint.rules`),
// extra vague tags (setting `embeddingStudio.lint.extraVagueTags`), and optionally a real CLIP
// token counter. Workspace files (tag advice, training settings) are read from the index.
import type { Severity } from './types';

export type RuleLevel = Severity | 'off';

export interface LintConfig {
  rules?: Record<string, RuleLevel>;
  /** General tag → specific alternatives (an empty list is allowed: "vague, no advice"). */
  extraVagueTags?: Record<string, string[]>;
  /** The real CLIP tokenizer's count for a caption; without it caption-length estimates. */
  countTokens?: (text: string) => number;
}
