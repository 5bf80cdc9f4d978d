// Trait categories for fixed-trait and hover: what a character always has (hair colour, length,
// style, eye colour, body features). When nearly every caption names a trait, the embedding
// should learn it; naming it in the captions attributes it to the tag instead.
import { memoisedByKey } from './keyMemo';

const colours = [
  'black', 'brown', 'blonde', 'white', 'grey', 'gray', 'silver', 'red', 'pink', 'purple', 'blue', 'green', 'orange', 'aqua',
  'yellow', 'light brown', 'light blue', 'light purple', 'light green', 'dark blue', 'dark green', 'dark red', 'dark brown',
  'platinum blonde', 'strawberry blonde', 'multicolored', 'two-tone', 'gradient', 'streaked', 'gold', 'golden', 'violet',
];
const colourSet = new Set(colours);

const hairLength = new Set(['short hair', 'medium hair', 'long hair', 'very long hair', 'absurdly long hair', 'very short hair', 'bob cut']);
const hairStyle = new Set([
  'ponytail', 'twintails', 'twin braids', 'braid', 'side ponytail', 'hair bun', 'double bun', 'single hair bun', 'ahoge',
  'hair between eyes', 'sidelocks', 'bangs', 'blunt bangs', 'swept bangs', 'parted bangs', 'hime cut', 'drill hair', 'twin drills',
  'wavy hair', 'straight hair', 'messy hair', 'curly hair', 'french braid', 'low twintails', 'high ponytail', 'low ponytail',
  'hair over one eye', 'hair intakes', 'antenna hair', 'crown braid', 'side braid', 'single braid', 'hair flaps', 'colored inner hair',
]);
const bodyTraits = new Set([
  'animal ears', 'cat ears', 'fox ears', 'wolf ears', 'dog ears', 'rabbit ears', 'horse ears', 'tail', 'cat tail', 'fox tail',
  'wolf tail', 'horns', 'pointy ears', 'halo', 'wings', 'mole under eye', 'mole', 'fang', 'freckles', 'dark skin', 'pale skin',
  'small breasts', 'medium breasts', 'large breasts', 'flat chest', 'heterochromia', 'slit pupils', 'symbol-shaped pupils',
  'star-shaped pupils', 'tsurime', 'tareme', 'facial mark', 'scar', 'tattoo',
]);

export type TraitCategory = 'hair colour' | 'hair length' | 'hair style' | 'eye colour' | 'body trait';

/** Memoised: a dataset's vocabulary is asked about again and again. */
export const traitCategoryOf: (key: string) => TraitCategory | undefined = memoisedByKey(computeTraitCategoryOf);

function computeTraitCategoryOf(key: string): TraitCategory | undefined {
  if (key.endsWith(' hair')) {
    const colour = key.slice(0, -' hair'.length);
    if (colourSet.has(colour)) return 'hair colour';
  }
  if (key.endsWith(' eyes')) {
    const colour = key.slice(0, -' eyes'.length);
    if (colourSet.has(colour)) return 'eye colour';
  }
  if (hairLength.has(key)) return 'hair length';
  if (hairStyle.has(key)) return 'hair style';
  if (bodyTraits.has(key)) return 'body trait';
  return undefined;
}
