// Hover on a tag: how many captions of the dataset use it and which, its knowledge-base
// category, and the summary of each rule that fires on it.
import type { Hover } from 'vscode-languageserver/node';
import { basename } from 'node:path';
import type { LintDiagnostic } from '../lint/types';
import type { TagSpan, TagUsage } from './datasetLinter';

const listedFiles = 10;

export interface HoverFacts {
  span: TagSpan;
  usage: TagUsage | undefined;
  /** The captions that use the tag. */
  files: string[];
  datasetSize: number;
  category: string | undefined;
  /** Diagnostics of this file on the tag, each with its rule's one-line summary. */
  findings: Array<{ diagnostic: LintDiagnostic; summary: string | undefined }>;
}

export function tagHover(facts: HoverFacts, range: Hover['range']): Hover {
  const { span, usage } = facts;
  const lines: string[] = [`**${span.tag}**`, ''];
  const count = usage?.count ?? 0;
  lines.push(`Used by ${count} of ${facts.datasetSize} caption${facts.datasetSize === 1 ? '' : 's'}.`);
  if (count > 0) {
    const names = facts.files.slice(0, listedFiles).map((f) => `\`${basename(f)}\``);
    lines.push('', names.join(', ') + (count > listedFiles ? `, and ${count - listedFiles} more` : ''));
  }
  if (facts.category) lines.push('', `Category: ${facts.category}`);
  for (const { diagnostic, summary } of facts.findings) {
    lines.push('', `**${diagnostic.code}**: ${diagnostic.message}${summary ? ` — ${summary}` : ''}`);
  }
  return { contents: { kind: 'markdown', value: lines.join('\n') }, range };
}
