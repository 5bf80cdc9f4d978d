// Everything the rules consult besides the dataset: the user's configuration merged with the
// knowledge base and the workspace files found in the dataset root.
import type { DatasetIndex } from '../dataset/datasetIndex';
import { tagKey } from '../dataset/caption';
import { builtInVagueTagIndex } from './knowledge';
import type { LintConfig, RuleLevel } from './config';
import { parseTagAdvice, type TagAdvice } from './tagAdvice';
import { parseTrainingSettings, type TrainingLintSettings } from './trainingSettings';

export interface VagueTagAdvice {
  tag: string;
  alternatives: string[];
  /** `tagKey` of each alternative, in the same order. */
  alternativeKeys: string[];
  source: 'knowledge base' | 'setting' | 'workspace';
  /** A knowledge-base tag that is usually background (scenery, buildings, vehicles): reported as information. */
  background?: boolean;
}

/** Knowledge-base groups that are usually in the background rather than on the character. */
const backgroundGroups = new Set(['scenery', 'buildings', 'vehicles']);

export interface ResolvedLintSettings {
  levels: Record<string, RuleLevel>;
  /** Tag key → advice, from the knowledge base, the setting, then the workspace file (last wins). */
  vagueTags: Map<string, VagueTagAdvice>;
  ignoreTags: Set<string>;
  advice: TagAdvice;
  adviceFile: string;
  training: TrainingLintSettings;
  trainingFile: string;
  countTokens?: (text: string) => number;
}

export function resolveLintSettings(index: DatasetIndex, config: LintConfig): ResolvedLintSettings {
  const adviceFile = index.settingsFile('tag-advice.json');
  const trainingFile = index.settingsFile('training.json');
  const advice = parseTagAdvice(adviceFile.text, index.displayName(adviceFile.path));
  const training = parseTrainingSettings(trainingFile.text, index.displayName(trainingFile.path));
  const vagueTags = new Map<string, VagueTagAdvice>();
  for (const [form, entry] of builtInVagueTagIndex) {
    vagueTags.set(form, { tag: entry.tag, alternatives: entry.alternatives, alternativeKeys: entry.alternatives.map(tagKey), source: 'knowledge base', background: backgroundGroups.has(entry.group) });
  }
  for (const [tag, alternatives] of Object.entries(config.extraVagueTags ?? {})) {
    vagueTags.set(tagKey(tag), { tag, alternatives, alternativeKeys: alternatives.map(tagKey), source: 'setting' });
  }
  for (const [key, alternatives] of advice.vagueTags) vagueTags.set(key, { tag: key, alternatives, alternativeKeys: alternatives.map(tagKey), source: 'workspace' });
  return {
    levels: { ...(config.rules ?? {}) },
    vagueTags,
    ignoreTags: advice.ignoreTags,
    advice,
    adviceFile: adviceFile.path,
    training,
    trainingFile: trainingFile.path,
    countTokens: config.countTokens,
  };
}
