// The `embeddingStudio` settings section as the server receives it: untrusted JSON from the
// user's settings files. Unknown rule levels and malformed tag lists are dropped, not fatal.
import type { CaptionServerSettings, RuleLevel } from '../protocol/languageServerMessages';

const levels: ReadonlySet<string> = new Set<RuleLevel>(['error', 'warning', 'information', 'hint', 'off']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readServerSettings(raw: unknown): CaptionServerSettings {
  const lint = isRecord(raw) && isRecord(raw.lint) ? raw.lint : {};
  const rules: Record<string, RuleLevel> = {};
  if (isRecord(lint.rules)) {
    for (const [id, level] of Object.entries(lint.rules)) if (typeof level === 'string' && levels.has(level)) rules[id] = level as RuleLevel;
  }
  const extraVagueTags: Record<string, string[]> = {};
  if (isRecord(lint.extraVagueTags)) {
    for (const [tag, alternatives] of Object.entries(lint.extraVagueTags)) {
      if (Array.isArray(alternatives)) extraVagueTags[tag] = alternatives.filter((a): a is string => typeof a === 'string' && a.trim() !== '');
    }
  }
  const settings: CaptionServerSettings = { lint: { rules, extraVagueTags } };
  // Paths only when set (an empty setting means "search").
  for (const key of ['tokenizerPath', 'modelPath'] as const) {
    const value = isRecord(raw) ? raw[key] : undefined;
    if (typeof value === 'string' && value.trim() !== '') settings[key] = value.trim();
  }
  return settings;
}
