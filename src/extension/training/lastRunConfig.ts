// "Start Training" remembers the last run configuration per dataset (in the workspace state), so
// the second run of a dataset starts from the first one's choices. No `vscode` import: the store
// is anything with Memento's get/update.
import { resolve } from 'node:path';
import { defaultRunConfig, type RunConfig } from '../../train/config';

export interface RunConfigStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

const keyPrefix = 'embeddingStudio.lastRunConfig:';

/** Fields that belong to one run, not to the dataset's habits: never carried over. */
const perRunFields: (keyof RunConfig)[] = ['out', 'data', 'initEmbedding'];

export async function rememberRunConfig(store: RunConfigStore, datasetDir: string, config: RunConfig): Promise<void> {
  const kept: Partial<RunConfig> = { ...config };
  for (const field of perRunFields) delete kept[field];
  await store.update(keyPrefix + resolve(datasetDir), kept);
}

/** The remembered fields for this dataset (only known fields of the right type), or {}. */
export function lastRunConfig(store: RunConfigStore, datasetDir: string): Partial<RunConfig> {
  const stored = store.get<Record<string, unknown>>(keyPrefix + resolve(datasetDir));
  if (!stored || typeof stored !== 'object') return {};
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored)) {
    if (!(key in defaultRunConfig) || perRunFields.includes(key as keyof RunConfig)) continue;
    const expected = (defaultRunConfig as unknown as Record<string, unknown>)[key];
    const sameType = expected === null ? typeof value === 'string' : Array.isArray(expected) ? Array.isArray(value) : typeof value === typeof expected;
    if (sameType) result[key] = value;
  }
  return result as Partial<RunConfig>;
}
