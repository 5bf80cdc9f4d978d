// The workspace tag-advice file, `.embedding-studio/tag-advice.json` in the dataset root:
//   {
//     "vagueTags": { "sword": ["katana", "rapier"], "ribbon": [] },
//     "ignoreTags": ["leaf"]
//   }
// `vagueTags` adds (or overrides) over-general tags with their alternatives, for this project.
// `ignoreTags` lists tags that vague-tag, meta-tag, rare-tag and fixed-trait leave alone.
import { tagKey } from '../dataset/caption';

export interface TagAdvice {
  vagueTags: Map<string, string[]>;
  ignoreTags: Set<string>;
  /** Why the file was not (fully) understood, with the way out. */
  problem?: string;
}

export const emptyTagAdvice: TagAdvice = { vagueTags: new Map(), ignoreTags: new Set() };

export function parseTagAdvice(text: string | undefined, displayName: string): TagAdvice {
  if (text === undefined || text.trim() === '') return { vagueTags: new Map(), ignoreTags: new Set() };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return {
      vagueTags: new Map(),
      ignoreTags: new Set(),
      problem: `${displayName} is not valid JSON (${(error as Error).message}); its tag advice is ignored until it is fixed. Expected {"vagueTags": {"tag": ["alternative", …]}, "ignoreTags": ["tag", …]}.`,
    };
  }
  const advice: TagAdvice = { vagueTags: new Map(), ignoreTags: new Set() };
  const wrong: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    advice.problem = `${displayName} must hold a JSON object like {"vagueTags": {"leaf": ["maple leaf"]}, "ignoreTags": []}; it is ignored.`;
    return advice;
  }
  const record = raw as Record<string, unknown>;
  if (record.vagueTags !== undefined) {
    if (typeof record.vagueTags === 'object' && record.vagueTags !== null && !Array.isArray(record.vagueTags)) {
      for (const [tag, alternatives] of Object.entries(record.vagueTags as Record<string, unknown>)) {
        if (Array.isArray(alternatives) && alternatives.every((a) => typeof a === 'string')) {
          advice.vagueTags.set(tagKey(tag), (alternatives as string[]).map((a) => a.trim()).filter((a) => a !== ''));
        } else {
          wrong.push(`vagueTags["${tag}"] must be a list of strings`);
        }
      }
    } else {
      wrong.push('"vagueTags" must be an object of tag → list of alternatives');
    }
  }
  if (record.ignoreTags !== undefined) {
    if (Array.isArray(record.ignoreTags)) {
      for (const tag of record.ignoreTags) {
        if (typeof tag === 'string') advice.ignoreTags.add(tagKey(tag));
        else wrong.push('"ignoreTags" must hold only strings');
      }
    } else {
      wrong.push('"ignoreTags" must be a list of tags');
    }
  }
  for (const key of Object.keys(record)) {
    if (key !== 'vagueTags' && key !== 'ignoreTags') wrong.push(`unknown key "${key}" (expected "vagueTags" or "ignoreTags")`);
  }
  if (wrong.length > 0) advice.problem = `${displayName}: ${wrong.join('; ')}. The rest of the file is used.`;
  return advice;
}
