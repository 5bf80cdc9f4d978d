// What the editor shows about tags: hover (how many images use a tag, which, its category) and
// completion candidates (the dataset's tags by frequency, then the knowledge base's).
import type { DatasetIndex } from '../dataset/datasetIndex';
import { tagKey } from '../dataset/caption';
import { knownTags, tagCategory, builtInVagueTagIndex } from './knowledge';

export interface TagDescription {
  key: string;
  /** How the dataset most often writes it. */
  spelling: string;
  /** Caption files that use it (absolute paths, sorted). */
  files: string[];
  /** Knowledge-base category (`clothing`, `hair colour`, `meta (rating)`…), if known. */
  category?: string;
  /** Specific alternatives when the knowledge base calls the tag over-general. */
  alternatives?: string[];
}

export function describeTag(index: DatasetIndex, tag: string): TagDescription {
  const key = tagKey(tag);
  const vague = builtInVagueTagIndex.get(key);
  return {
    key,
    spelling: index.tagSpelling(key),
    files: [...index.filesWithTag(key)].sort(),
    category: tagCategory(key),
    ...(vague ? { alternatives: vague.alternatives } : {}),
  };
}

export interface TagCandidate {
  tag: string;
  /** Captions using it in this dataset (0 for knowledge-base suggestions). */
  count: number;
  category?: string;
  source: 'dataset' | 'knowledge base';
}

/** Dataset tags by frequency (most used first), then knowledge-base tags the dataset lacks. */
export function completionCandidates(index: DatasetIndex, prefix = ''): TagCandidate[] {
  const wanted = tagKey(prefix);
  const fromDataset: TagCandidate[] = [];
  const seen = new Set<string>();
  for (const [key, count] of index.tagCounts()) {
    seen.add(key);
    if (wanted && !key.startsWith(wanted) && !key.includes(` ${wanted}`)) continue;
    fromDataset.push({ tag: index.tagSpelling(key), count, category: tagCategory(key), source: 'dataset' });
  }
  fromDataset.sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : 1));
  const fromKnowledge: TagCandidate[] = [];
  for (const { tag, category } of knownTags()) {
    const key = tagKey(tag);
    if (seen.has(key)) continue;
    if (wanted && !key.startsWith(wanted) && !key.includes(` ${wanted}`)) continue;
    fromKnowledge.push({ tag, count: 0, category, source: 'knowledge base' });
  }
  fromKnowledge.sort((a, b) => (a.tag < b.tag ? -1 : 1));
  return [...fromDataset, ...fromKnowledge];
}
