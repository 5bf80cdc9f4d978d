// The lint API for the language server and the CLI.
//   const index = await DatasetIndex.build(root);          // src/dataset/datasetIndex
//   const session = new LintSession(index, config);
//   session.lintAll();                                     // Map<file, LintDiagnostic[]>
//   const change = await index.updateFile(path, text);     // or index.setCaptionText / removeFile
//   session.update(change);                                // { changedFiles, diagnostics }
//   session.resolveFix(fix);                               // fills dataset-wide fix edits
export type { Severity, Position, Range, TextEdit, LintFix, LintDiagnostic, DeferredFix } from './types';
export type { LintConfig, RuleLevel } from './config';
export { LintSession, lintDataset, type LintUpdate, type LintDatasetOptions } from './engine';
export { allRules, ruleById } from './rules';
export type { LintRule } from './rule';
export { describeTag, completionCandidates, type TagDescription, type TagCandidate } from './tagInsights';
export { tagCategory, knownTags } from './knowledge';
export { estimateClipTokens, clipTokenLimit } from './tokenEstimate';
export { parseTagAdvice, type TagAdvice } from './tagAdvice';
export { parseTrainingSettings } from './trainingSettings';

import { allRules } from './rules';
import type { Severity } from './types';

export interface RuleDocumentation {
  id: string;
  summary: string;
  markdown: string;
  defaultSeverity: Severity;
}

export function ruleDocs(): RuleDocumentation[] {
  return allRules.map((rule) => ({ id: rule.id, summary: rule.summary, markdown: rule.doc, defaultSeverity: rule.defaultSeverity }));
}

export function ruleDoc(id: string): RuleDocumentation | undefined {
  return ruleDocs().find((doc) => doc.id === id);
}
