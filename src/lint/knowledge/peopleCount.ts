// People-count tags. The tutorial wants clear images of a single person: a picture tagged with
// two or more people trains the embedding on both of them.
import { memoisedByKey } from './keyMemo';

const singlePersonTags = new Set(['1girl', '1boy', '1other', 'solo']);
const multiplePeopleTags = new Set([
  'multiple girls', 'multiple boys', 'multiple others', 'group', 'crowd', 'couple', 'twins', 'siblings', 'sisters', 'brothers',
  'group picture', 'everyone', 'harem', 'solo focus', 'family', 'mother and daughter', 'father and daughter', 'yuri', 'yaoi', 'hetero',
  'multiple persona', 'clone', 'multiple views',
]);
const countPattern = /^(\d+)\+?(girls?|boys?|others?)$/;

/** The number of people the tag says are in the picture: 1, 2+ (as 2), or undefined if none. */
/** Memoised: a dataset's vocabulary is asked about again and again. */
export const peopleCountOf: (key: string) => number | undefined = memoisedByKey(computePeopleCountOf);

function computePeopleCountOf(key: string): number | undefined {
  if (singlePersonTags.has(key)) return 1;
  if (multiplePeopleTags.has(key)) return 2;
  const match = countPattern.exec(key);
  if (match) return Number(match[1]);
  return undefined;
}

export function isPeopleCountTag(key: string): boolean {
  return peopleCountOf(key) !== undefined;
}

/** Tags that by themselves say more than one person is shown. */
export function isMultiplePeopleTag(key: string): boolean {
  const count = peopleCountOf(key);
  return count !== undefined && count >= 2;
}
