// Rule documentation generated from the rules' own metadata (docs/rules/*.md), so the docs
// cannot drift from the code: test/lint/ruleDocs.test.ts fails when the files differ.
import { allRules } from './rules';
import type { LintRule } from './rule';

export function ruleDocMarkdown(rule: LintRule): string {
  const fixable = rule.resolveDeferred ? 'yes (besides fixing this problem or this file)' : 'no';
  return [
    `# \`${rule.id}\``,
    '',
    `${rule.summary}`,
    '',
    `- Default severity: \`${rule.defaultSeverity}\` (change it or turn the rule \`off\` with the \`embeddingStudio.lint.rules\` setting, or \`--config\` on the CLI)`,
    `- Checks: ${rule.targets.map((t) => (t === 'dataset' ? 'the dataset as a whole' : `each ${t}`)).join(', ')}`,
    `- Dataset-wide fixes: ${fixable}`,
    '',
    rule.doc,
    '',
    '<!-- Generated from src/lint/rules/' + rule.id + '.ts; regenerate with UPDATE_RULE_DOCS=1 node --import tsx --test test/lint/ruleDocs.test.ts -->',
    '',
  ].join('\n');
}

export function ruleIndexMarkdown(): string {
  const rows = allRules.map((rule) => `| [\`${rule.id}\`](${rule.id}.md) | \`${rule.defaultSeverity}\` | ${rule.summary} |`);
  return [
    '# Caption lint rules',
    '',
    'Every rule of the caption linter (the language server and `embedding-studio lint DIR`).',
    '',
    '| Rule | Default | What it finds |',
    '| --- | --- | --- |',
    ...rows,
    '',
    '## Workspace files',
    '',
    'Both live in `.embedding-studio/` in the dataset root and are optional.',
    '',
    '`tag-advice.json`: project-specific tag advice.',
    '',
    '```json',
    '{',
    '  "vagueTags": { "sword": ["katana", "rapier"], "ribbon": [] },',
    '  "ignoreTags": ["leaf"]',
    '}',
    '```',
    '',
    '`vagueTags` adds over-general tags (or replaces the knowledge base\'s alternatives for them); an empty list means "vague, no specific advice". `ignoreTags` lists tags that `vague-tag`, `meta-tag`, `rare-tag` and `fixed-trait` leave alone. A file that is not valid JSON is reported by `unreadable-file` and ignored.',
    '',
    '`training.json`: the dataset\'s training settings; the linter reads only `mirror`.',
    '',
    '```json',
    '{ "mirror": true }',
    '```',
    '',
    '`"mirror": true` means preprocessing adds mirrored copies of the images; `heterochromia-flip` then reports captions tagged `heterochromia`, and its fix sets `"mirror": false`.',
    '',
    '## Settings',
    '',
    '- `embeddingStudio.lint.rules`: `{ "rule-id": "error" | "warning" | "information" | "hint" | "off" }`.',
    '- `embeddingStudio.lint.extraVagueTags`: `{ "tag": ["alternative", …] }`, merged with the knowledge base (the workspace file wins).',
    '',
    '<!-- Generated from src/lint/rules; regenerate with UPDATE_RULE_DOCS=1 node --import tsx --test test/lint/ruleDocs.test.ts -->',
    '',
  ].join('\n');
}

/** File name (under docs/rules) → content. */
export function generatedRuleDocs(): Map<string, string> {
  const files = new Map<string, string>([['README.md', ruleIndexMarkdown()]]);
  for (const rule of allRules) files.set(`${rule.id}.md`, ruleDocMarkdown(rule));
  return files;
}
