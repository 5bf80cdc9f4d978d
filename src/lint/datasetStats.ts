// Dataset-wide facts computed once per index state (not once per file): underscore majority,
// the shared outfit, fixed traits, and which tags specialise which. Tag counts themselves come
// from the index, which keeps them current file by file.
import type { DatasetIndex } from '../dataset/datasetIndex';
import { isClothingTag } from './knowledge/clothing';
import { traitCategoryOf } from './knowledge/traits';

/** Below these caption counts, majorities and rarity say nothing. */
export const minCaptionsForRare = 5;
export const minCaptionsForOutfit = 4;
export const minCaptionsForFixedTrait = 5;
/** Share of captions a clothing tag needs to count as the outfit, and the share under which it is an outlier. */
export const outfitMajorityShare = 0.6;
export const outfitOutlierShare = 0.25;
export const fixedTraitShare = 0.8;

export class DatasetStats {
  private version = -1;
  private parsed = 0;
  private underscore: 'underscores' | 'spaces' | undefined;
  private outfit: string[] = [];
  private clothingCounts = new Map<string, number>();
  private traits: string[] = [];
  private suffixes?: Map<string, string[]>;

  constructor(private readonly index: DatasetIndex) {}

  private refresh(): void {
    if (this.version === this.index.version) return;
    this.version = this.index.version;
    this.suffixes = undefined;
    const { parsed, underscores, spaces } = this.index.captionStyleCounts();
    this.parsed = parsed;
    this.underscore = underscores > spaces ? 'underscores' : spaces > underscores ? 'spaces' : undefined;
    this.clothingCounts = new Map();
    const outfit: string[] = [];
    const traits: string[] = [];
    for (const [key, count] of this.index.tagCounts()) {
      if (isClothingTag(key)) {
        this.clothingCounts.set(key, count);
        if (parsed >= minCaptionsForOutfit && count >= outfitMajorityShare * parsed) outfit.push(key);
      }
      if (parsed >= minCaptionsForFixedTrait && count >= fixedTraitShare * parsed && traitCategoryOf(key)) traits.push(key);
    }
    this.outfit = outfit.sort();
    this.traits = traits.sort();
  }

  captionCount(): number {
    this.refresh();
    return this.parsed;
  }

  underscoreMajority(): 'underscores' | 'spaces' | undefined {
    this.refresh();
    return this.underscore;
  }

  outfitMajority(): string[] {
    this.refresh();
    return this.outfit;
  }

  isOutfitOutlier(key: string): boolean {
    this.refresh();
    const count = this.clothingCounts.get(key);
    return count !== undefined && this.parsed >= minCaptionsForOutfit && count <= outfitOutlierShare * this.parsed;
  }

  fixedTraits(): string[] {
    this.refresh();
    return this.traits;
  }

  isRareTag(key: string): boolean {
    return this.captionCount() >= minCaptionsForRare && this.index.tagFileCount(key) === 1;
  }

  specificsOf(generalKey: string): string[] {
    this.refresh();
    if (!this.suffixes) {
      // Every multi-word tag filed under each of its word-suffixes: `red maple leaf` under
      // `maple leaf` and `leaf`.
      const suffixes = new Map<string, string[]>();
      for (const [key] of this.index.tagCounts()) {
        const words = key.split(' ');
        for (let i = 1; i < words.length; i++) {
          const suffix = words.slice(i).join(' ');
          const list = suffixes.get(suffix);
          if (list) list.push(key);
          else suffixes.set(suffix, [key]);
        }
      }
      this.suffixes = suffixes;
    }
    const list = this.suffixes.get(generalKey) ?? [];
    return [...list].sort((a, b) => this.index.tagFileCount(b) - this.index.tagFileCount(a) || (a < b ? -1 : 1)).slice(0, 8);
  }
}
