// Clothing words, for outfit-inconsistency: a tag is clothing when it is one of these words or
// ends with one (`white shirt`, `pleated skirt`, `black thighhighs`). The tutorial: the outfit
// must be the same in every image, or its details come out blurred or wrong.
import { memoisedByKey } from './keyMemo';

const clothingWords = [
  'shirt', 't-shirt', 'blouse', 'skirt', 'miniskirt', 'dress', 'gown', 'sundress', 'jacket', 'blazer', 'coat', 'cardigan',
  'sweater', 'hoodie', 'vest', 'uniform', 'serafuku', 'kimono', 'yukata', 'hakama', 'apron', 'gloves', 'mittens', 'thighhighs',
  'kneehighs', 'pantyhose', 'legwear', 'socks', 'boots', 'shoes', 'sandals', 'loafers', 'sneakers', 'heels', 'high heels', 'hat',
  'cap', 'beret', 'hood', 'scarf', 'necktie', 'bowtie', 'neckerchief', 'choker', 'belt', 'shorts', 'pants', 'jeans', 'leotard',
  'bodysuit', 'swimsuit', 'bikini', 'cape', 'cloak', 'capelet', 'armor', 'sleeves', 'collar', 'sailor collar', 'camisole',
  'tank top', 'crop top', 'leggings', 'overalls', 'suit', 'tuxedo', 'headdress', 'maid headdress', 'bodystocking', 'corset',
  'pajamas', 'robe', 'tabard', 'poncho', 'shawl', 'stole', 'tights', 'garter straps', 'wrist cuffs', 'detached collar',
  'detached sleeves', 'bike shorts', 'hakama skirt', 'pinafore dress', 'china dress', 'maid', 'miko', 'nun', 'habit',
  'school uniform', 'sailor uniform', 'military uniform', 'gym uniform', 'bra', 'panties', 'underwear', 'lingerie', 'sash', 'obi',
];

const clothingSet = new Set(clothingWords);

const isClothingTagMemoised = memoisedByKey(computeIsClothingTag);

/** Memoised: a dataset's vocabulary is asked about again and again. */
export function isClothingTag(key: string): boolean {
  return isClothingTagMemoised(key) === true;
}

function computeIsClothingTag(key: string): boolean {
  if (clothingSet.has(key)) return true;
  // Compare the last one and two words: `red pleated skirt` ends with `skirt`.
  const words = key.split(' ');
  if (words.length < 2) return false;
  return clothingSet.has(words[words.length - 1]) || clothingSet.has(words.slice(-2).join(' '));
}

export const clothingWordList: readonly string[] = clothingWords;
