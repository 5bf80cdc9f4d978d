// The knowledge base we wrote: over-general tags with alternatives, meta tags, people counts,
// clothing words, traits and backgrounds. `tagCategory` is what hover shows.
import { builtInVagueTags, type VagueTagEntry } from './vagueTags';
import { metaTags } from './metaTags';
import { peopleCountOf } from './peopleCount';
import { isClothingTag } from './clothing';
import { traitCategoryOf } from './traits';
import { backgroundKindOf } from './backgrounds';

export { builtInVagueTags, type VagueTagEntry } from './vagueTags';
export { metaTags, metaTagGroups } from './metaTags';
export { peopleCountOf, isMultiplePeopleTag, isPeopleCountTag } from './peopleCount';
export { isClothingTag, clothingWordList } from './clothing';
export { traitCategoryOf, type TraitCategory } from './traits';
export { backgroundKindOf, type BackgroundKind } from './backgrounds';

/** General tag (and each of its other forms) → its entry. */
export const builtInVagueTagIndex: ReadonlyMap<string, VagueTagEntry> = new Map(
  builtInVagueTags.flatMap((entry) => [entry.tag, ...entry.forms].map((form) => [form, entry] as [string, VagueTagEntry])),
);

/** The category hover shows for a tag key, or undefined when the knowledge base does not know it. */
export function tagCategory(key: string): string | undefined {
  const meta = metaTags.get(key);
  if (meta) return `meta (${meta})`;
  const people = peopleCountOf(key);
  if (people !== undefined) return people >= 2 ? 'people count (several people)' : 'people count';
  const trait = traitCategoryOf(key);
  if (trait) return trait;
  const background = backgroundKindOf(key);
  if (background) return `${background} background`;
  if (isClothingTag(key)) return 'clothing';
  if (builtInVagueTagIndex.has(key)) return `over-general (${builtInVagueTagIndex.get(key)!.group})`;
  return undefined;
}

/** Every tag the knowledge base suggests, with its category: completion candidates. */
export function knownTags(): Array<{ tag: string; category: string }> {
  const seen = new Map<string, string>();
  for (const entry of builtInVagueTags) {
    for (const alternative of entry.alternatives) {
      if (!seen.has(alternative)) seen.set(alternative, tagCategory(alternative) ?? `specific (${entry.group})`);
    }
  }
  return [...seen].map(([tag, category]) => ({ tag, category }));
}
