// Over-general tags and specific alternatives, written by us from Danbooru-style tag usage.
// Training a general tag on one kind of thing binds that look to the word (the tutorial's
// serrated maple leaves turning every `leaf` serrated); the alternatives split the looks.
// Each entry: the general tag, other spellings of it (plurals), specific alternatives.

export interface VagueTagEntry {
  tag: string;
  forms: string[];
  alternatives: string[];
  group: string;
}

type Row = [tag: string, forms: string[], alternatives: string[]];

const groups: Record<string, Row[]> = {
  plants: [
    ['leaf', ['leaves'], ['maple leaf', 'ginkgo leaf', 'mint leaf', 'oak leaf', 'banyan leaf', 'clover leaf', 'autumn leaves', 'palm leaf', 'lotus leaf']],
    ['flower', ['flowers'], ['rose', 'cherry blossoms', 'sunflower', 'lily (flower)', 'tulip', 'hibiscus', 'lotus', 'daisy', 'hydrangea', 'morning glory', 'lavender (flower)', 'camellia']],
    ['tree', ['trees'], ['cherry blossom tree', 'maple tree', 'pine tree', 'palm tree', 'bamboo', 'willow', 'ginkgo tree', 'christmas tree', 'dead tree']],
    ['plant', ['plants'], ['potted plant', 'fern', 'cactus', 'ivy', 'vines', 'succulent plant', 'bamboo']],
    ['grass', [], ['tall grass', 'pampas grass', 'wheat', 'reeds', 'lawn']],
    ['bush', ['bushes'], ['hedge', 'rose bush', 'azalea', 'boxwood']],
    ['fruit', ['fruits'], ['apple', 'orange (fruit)', 'strawberry', 'peach', 'cherry', 'grapes', 'watermelon', 'banana', 'lemon']],
    ['mushroom', ['mushrooms'], ['fly agaric', 'shiitake', 'glowing mushroom', 'button mushroom']],
    ['petals', ['petal'], ['cherry blossom petals', 'rose petals', 'falling petals']],
    ['branch', ['branches'], ['cherry blossom branch', 'pine branch', 'olive branch', 'bare branches']],
    ['vegetable', ['vegetables'], ['carrot', 'tomato', 'cabbage', 'eggplant', 'onion', 'daikon']],
    ['seaweed', [], ['kelp', 'wakame', 'nori']],
  ],
  animals: [
    ['animal', ['animals'], ['cat', 'dog', 'rabbit', 'fox', 'horse', 'deer', 'bear', 'wolf']],
    ['bird', ['birds'], ['crow', 'sparrow', 'owl', 'swallow (bird)', 'pigeon', 'dove', 'parrot', 'eagle', 'crane (animal)', 'seagull', 'penguin', 'duck']],
    ['fish', [], ['goldfish', 'koi', 'tropical fish', 'shark', 'clownfish', 'salmon']],
    ['insect', ['insects', 'bug', 'bugs'], ['butterfly', 'dragonfly', 'firefly', 'beetle', 'ladybug', 'bee', 'cicada']],
    ['cat', ['cats'], ['black cat', 'calico', 'tabby cat', 'white cat', 'siamese cat', 'kitten']],
    ['dog', ['dogs'], ['shiba inu', 'corgi', 'golden retriever', 'husky', 'dachshund', 'puppy']],
    ['butterfly', ['butterflies'], ['blue butterfly', 'monarch butterfly', 'swallowtail butterfly', 'glowing butterfly']],
    ['snake', ['snakes'], ['white snake', 'python (animal)', 'cobra', 'viper']],
    ['dragon', ['dragons'], ['eastern dragon', 'western dragon', 'wyvern']],
    ['horse', ['horses'], ['white horse', 'black horse', 'pony', 'unicorn']],
    ['sea creature', ['sea creatures'], ['jellyfish', 'octopus', 'starfish', 'whale', 'dolphin', 'crab']],
    ['reptile', ['reptiles'], ['lizard', 'turtle', 'crocodile', 'gecko', 'chameleon']],
  ],
  headwear: [
    ['hat', ['hats'], ['witch hat', 'straw hat', 'top hat', 'sun hat', 'beret', 'cowboy hat', 'fedora', 'bowler hat', 'mini hat', 'nurse cap']],
    ['cap', ['caps'], ['baseball cap', 'peaked cap', 'newsboy cap', 'military hat', 'flat cap']],
    ['headwear', ['headgear'], ['beret', 'hood', 'tiara', 'crown', 'headband', 'hat', 'hairband']],
    ['helmet', ['helmets'], ['knight helmet', 'motorcycle helmet', 'pilot helmet', 'combat helmet', 'kabuto (helmet)']],
    ['crown', ['crowns'], ['tiara', 'mini crown', 'flower crown', 'laurel crown']],
    ['headband', ['headbands'], ['hairband', 'hachimaki', 'frilled hairband', 'sweatband']],
    ['veil', ['veils'], ['bridal veil', 'lace veil', 'face veil']],
  ],
  hair: [
    ['hair ornament', ['hair ornaments'], ['hairclip', 'hair flower', 'star hair ornament', 'x hair ornament', 'crescent hair ornament', 'snowflake hair ornament', 'butterfly hair ornament', 'hairpin', 'kanzashi']],
    ['hair accessory', ['hair accessories'], ['hair bow', 'hair ribbon', 'hairclip', 'scrunchie', 'hair bobbles', 'hair tie', 'hairband']],
    ['hair ribbon', ['hair ribbons'], ['red hair ribbon', 'white hair ribbon', 'black hair ribbon', 'tress ribbon']],
    ['hair bow', ['hair bows'], ['red hair bow', 'black hair bow', 'large hair bow', 'white hair bow']],
    ['hair flower', ['hair flowers'], ['hair rose', 'hibiscus hair ornament', 'cherry blossom hair ornament', 'lily hair ornament']],
    ['hairclip', ['hairclips', 'hair clip'], ['x hairclip', 'star hairclip', 'heart hairclip', 'bobby pin']],
  ],
  bowsAndRibbons: [
    ['ribbon', ['ribbons'], ['hair ribbon', 'neck ribbon', 'red ribbon', 'wrist ribbon', 'ribbon choker', 'leg ribbon']],
    ['bow', ['bows'], ['hair bow', 'bowtie', 'back bow', 'waist bow', 'frilled bow', 'chest bow']],
    ['accessory', ['accessories'], ['necklace', 'earrings', 'bracelet', 'choker', 'brooch', 'hair ornament']],
    ['jewelry', ['jewellery'], ['necklace', 'earrings', 'ring', 'bracelet', 'pendant', 'anklet', 'brooch']],
    ['earrings', ['earring'], ['hoop earrings', 'stud earrings', 'crescent earrings', 'star earrings', 'drop earrings']],
    ['necklace', ['necklaces'], ['pendant', 'pearl necklace', 'choker', 'cross necklace', 'bead necklace']],
  ],
  weapons: [
    ['weapon', ['weapons'], ['sword', 'katana', 'spear', 'bow (weapon)', 'gun', 'axe', 'staff', 'scythe', 'dagger']],
    ['sword', ['swords'], ['katana', 'longsword', 'rapier', 'broadsword', 'greatsword', 'sabre', 'wakizashi', 'scimitar']],
    ['gun', ['guns', 'firearm'], ['handgun', 'rifle', 'shotgun', 'submachine gun', 'assault rifle', 'revolver', 'sniper rifle']],
    ['knife', ['knives'], ['dagger', 'kitchen knife', 'combat knife', 'tanto', 'kunai']],
    ['polearm', ['polearms'], ['spear', 'halberd', 'naginata', 'trident', 'lance', 'glaive']],
    ['staff', ['staves', 'staffs'], ['magic staff', 'wooden staff', "shakujou", 'wand']],
    ['shield', ['shields'], ['round shield', 'kite shield', 'tower shield', 'buckler']],
    ['armor', ['armour'], ['plate armor', 'breastplate', 'japanese armor', 'gauntlets', 'pauldrons', 'chainmail']],
  ],
  food: [
    ['food', [], ['onigiri', 'cake', 'ramen', 'sushi', 'dango', 'bread', 'pizza', 'hamburger', 'taiyaki']],
    ['dessert', ['desserts', 'sweets'], ['cake', 'parfait', 'pudding', 'ice cream', 'macaron', 'cookie', 'crepe', 'doughnut']],
    ['drink', ['drinks', 'beverage'], ['tea', 'coffee', 'milk', 'juice', 'bubble tea', 'soda', 'wine', 'cocktail']],
    ['cup', ['cups'], ['teacup', 'coffee mug', 'disposable cup', 'sake cup', 'glass']],
    ['candy', ['candies'], ['lollipop', 'candy cane', 'konpeitou', 'gummy']],
    ['bread', [], ['baguette', 'croissant', 'melon bread', 'toast', 'bun']],
    ['meat', [], ['steak', 'ham', 'sausage', 'fried chicken', 'bacon']],
  ],
  buildings: [
    ['building', ['buildings'], ['house', 'skyscraper', 'castle', 'shrine', 'temple', 'church', 'tower', 'school', 'apartment']],
    ['house', ['houses'], ['japanese house', 'cottage', 'mansion', 'log cabin', 'townhouse']],
    ['tower', ['towers'], ['clock tower', 'lighthouse', 'pagoda', 'bell tower', 'radio tower']],
    ['castle', ['castles'], ['japanese castle', 'european castle', 'fortress', 'palace']],
    ['room', ['rooms'], ['bedroom', 'classroom', 'kitchen', 'library', 'bathroom', 'living room', 'office']],
    ['bridge', ['bridges'], ['stone bridge', 'wooden bridge', 'suspension bridge', 'arch bridge']],
    ['window', ['windows'], ['stained glass window', 'open window', 'bay window', 'shouji']],
    ['door', ['doors'], ['sliding door', 'double doors', 'wooden door', 'torii']],
    ['ruins', ['ruin'], ['temple ruins', 'castle ruins', 'overgrown ruins']],
  ],
  vehicles: [
    ['vehicle', ['vehicles'], ['car', 'motorcycle', 'bicycle', 'train', 'bus', 'truck', 'ship', 'airplane']],
    ['car', ['cars'], ['sports car', 'police car', 'taxi', 'convertible', 'pickup truck']],
    ['boat', ['boats'], ['rowboat', 'sailboat', 'gondola', 'canoe', 'yacht']],
    ['ship', ['ships'], ['sailing ship', 'warship', 'cruise ship', 'pirate ship', 'spaceship']],
    ['aircraft', ['airplane', 'plane'], ['jet', 'biplane', 'helicopter', 'airship', 'fighter jet']],
    ['train', ['trains'], ['steam locomotive', 'bullet train', 'tram', 'subway']],
  ],
  clothing: [
    ['clothes', ['clothing', 'outfit'], ['school uniform', 'dress', 'kimono', 'suit', 'hoodie', 'armor']],
    ['uniform', ['uniforms'], ['school uniform', 'serafuku', 'military uniform', 'maid', 'police uniform', 'sailor uniform', 'nurse uniform']],
    ['dress', ['dresses'], ['sundress', 'evening gown', 'wedding dress', 'sailor dress', 'pinafore dress', 'frilled dress', 'china dress']],
    ['shirt', ['shirts'], ['collared shirt', 't-shirt', 'dress shirt', 'blouse', 'polo shirt', 'tank top']],
    ['jacket', ['jackets'], ['blazer', 'leather jacket', 'bomber jacket', 'denim jacket', 'track jacket', 'hooded jacket']],
    ['coat', ['coats'], ['trench coat', 'fur-trimmed coat', 'lab coat', 'duffel coat', 'winter coat']],
    ['skirt', ['skirts'], ['pleated skirt', 'miniskirt', 'long skirt', 'pencil skirt', 'frilled skirt', 'hakama skirt']],
    ['pants', ['trousers'], ['jeans', 'shorts', 'slacks', 'hakama', 'cargo pants', 'track pants']],
    ['shoes', ['shoe', 'footwear'], ['loafers', 'sneakers', 'high heels', 'mary janes', 'sandals', 'boots', 'geta', 'zouri']],
    ['boots', ['boot'], ['knee boots', 'thigh boots', 'ankle boots', 'combat boots', 'rain boots', 'cross-laced boots']],
    ['socks', ['sock', 'legwear'], ['thighhighs', 'kneehighs', 'pantyhose', 'loose socks', 'ankle socks', 'tabi']],
    ['gloves', ['glove'], ['white gloves', 'elbow gloves', 'fingerless gloves', 'leather gloves', 'mittens']],
    ['swimsuit', ['swimsuits', 'swimwear'], ['bikini', 'one-piece swimsuit', 'school swimsuit', 'competition swimsuit', 'sarong']],
    ['traditional clothes', ['traditional clothing'], ['kimono', 'yukata', 'hanfu', 'hanbok', 'chinese clothes', 'miko']],
    ['bag', ['bags'], ['handbag', 'backpack', 'school bag', 'shoulder bag', 'randoseru', 'tote bag']],
    ['glasses', ['eyewear'], ['round eyewear', 'red-framed eyewear', 'semi-rimless eyewear', 'sunglasses', 'monocle']],
    ['mask', ['masks'], ['fox mask', 'surgical mask', 'oni mask', 'gas mask', 'domino mask']],
    ['cape', ['capes', 'cloak'], ['hooded cloak', 'red cape', 'capelet', 'fur cape']],
  ],
  objects: [
    ['book', ['books'], ['open book', 'spellbook', 'notebook', 'sketchbook', 'stack of books']],
    ['instrument', ['instruments', 'musical instrument'], ['guitar', 'violin', 'piano', 'flute', 'drum', 'shamisen', 'koto']],
    ['toy', ['toys'], ['stuffed toy', 'teddy bear', 'doll', 'toy car', 'stuffed bunny']],
    ['stuffed animal', ['stuffed animals', 'plush'], ['teddy bear', 'stuffed bunny', 'stuffed cat', 'stuffed shark']],
    ['umbrella', ['umbrellas'], ['oil-paper umbrella', 'transparent umbrella', 'parasol', 'black umbrella']],
    ['lantern', ['lanterns'], ['paper lantern', 'chinese lantern', 'stone lantern', 'jack-o\'-lantern']],
    ['light', ['lights'], ['lamp', 'candle', 'fairy lights', 'lantern', 'streetlight', 'neon lights']],
    ['box', ['boxes'], ['gift box', 'cardboard box', 'bento', 'music box', 'treasure chest']],
    ['phone', ['phones'], ['smartphone', 'flip phone', 'cellphone', 'rotary phone']],
    ['fan', ['fans'], ['folding fan', 'paper fan', 'uchiwa', 'electric fan']],
  ],
  scenery: [
    ['sky', [], ['blue sky', 'night sky', 'starry sky', 'sunset', 'cloudy sky', 'gradient sky']],
    ['water', [], ['ocean', 'lake', 'river', 'pond', 'waterfall', 'puddle', 'pool']],
    ['mountain', ['mountains'], ['snowy mountain', 'mount fuji', 'mountainous horizon', 'volcano']],
    ['weather', [], ['rain', 'snow', 'fog', 'storm', 'wind']],
    ['rock', ['rocks', 'stone', 'stones'], ['boulder', 'pebble', 'cliff', 'crystal']],
    ['gem', ['gems', 'jewel', 'gemstone'], ['ruby', 'sapphire', 'emerald', 'diamond (gemstone)', 'amethyst', 'pearl (gemstone)']],
  ],
};

export const builtInVagueTags: VagueTagEntry[] = Object.entries(groups).flatMap(([group, rows]) =>
  rows.map(([tag, forms, alternatives]) => ({ tag, forms, alternatives, group })),
);
