// The `embeddingStudio.lint.rules` settings schema, generated from the rules' own metadata
// (markdownlint style) so package.json never drifts from the engine: one property per rule,
// a severity or `off`, defaulting to the rule's default severity.
// `node --import tsx scripts/generateRuleSettings.ts` writes it; a test fails when it is stale.
import type { Severity } from '../lint/types';

export interface RuleMetadata {
  id: string;
  defaultSeverity: Severity;
  summary: string;
}

export const ruleSettingKey = 'embeddingStudio.lint.rules';
export const ruleLevels = ['error', 'warning', 'information', 'hint', 'off'] as const;

export interface RuleSettingSchema {
  type: 'string';
  enum: string[];
  default: Severity;
  markdownDescription: string;
}

export function ruleSettingsProperties(rules: readonly RuleMetadata[]): Record<string, RuleSettingSchema> {
  const sorted = [...rules].sort((a, b) => a.id.localeCompare(b.id));
  return Object.fromEntries(
    sorted.map((rule) => [
      rule.id,
      {
        type: 'string',
        enum: [...ruleLevels],
        default: rule.defaultSeverity,
        markdownDescription: `${rule.summary} (default: \`${rule.defaultSeverity}\`; \`off\` disables the rule)`,
      },
    ]),
  );
}
