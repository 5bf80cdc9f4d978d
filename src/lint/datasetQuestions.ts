// The dataset-wide questions rules ask while linting one target (`DatasetQueries`), their cached
// answers, and which targets depend on which answer, so that after a change only the targets
// whose answers moved are linted again.
//
// Recording every question of every target cost more than linting itself on large datasets, so
// most dependencies are implicit: a question about one of the target's own tags (`isRareTag` of
// a tag the caption has) depends on that tag's files, which the index already knows; a question
// about the target's own stem depends on the files of that stem; a question without argument
// is one bit per target. Only questions about other tags or stems are recorded one by one.
import { stemKeyOf, type DatasetIndex } from '../dataset/datasetIndex';
import type { DatasetQueries } from './rule';
import { DatasetStats } from './datasetStats';

const globalKinds = ['captionCount', 'imageCount', 'underscoreMajority', 'outfitMajority', 'fixedTraits'] as const;
type GlobalKind = (typeof globalKinds)[number];
type TagKind = 'tagFileCount' | 'isRareTag' | 'isOutfitOutlier' | 'specificsOf';
type StemKind = 'hasImage' | 'hasCaption';
const tagKinds: readonly TagKind[] = ['tagFileCount', 'isRareTag', 'isOutfitOutlier', 'specificsOf'];
const globalBit = Object.fromEntries(globalKinds.map((kind, bit) => [kind, bit])) as Record<GlobalKind, number>;
const stemKinds: readonly StemKind[] = ['hasImage', 'hasCaption'];

/** One cached answer. */
export interface Answer {
  value: unknown;
  serialised: string;
  /** Targets that asked this question without it being about their own tag or stem. */
  askedByOthers?: Set<string>;
  /** The target that asked last (asks are counted once per target). */
  stamp: number;
}

/** What one target's lint depended on, beyond its own tags and stem. */
export interface TargetDependencies {
  /** Bit `i` set: the target asked `globalKinds[i]`. */
  globals: number;
  /** Questions about other tags or stems. */
  others?: Answer[];
}

export class DatasetQuestions implements DatasetQueries {
  private readonly stats: DatasetStats;
  /** By bit (`globalKinds` order). */
  private readonly globals: Array<Answer | undefined> = [];
  // One map per question kind, as fields: these are asked a hundred thousand times per lint.
  private readonly byTag: Record<TagKind, Map<string, Answer>> = { tagFileCount: new Map(), isRareTag: new Map(), isOutfitOutlier: new Map(), specificsOf: new Map() };
  private readonly byStem: Record<StemKind, Map<string, Answer>> = { hasImage: new Map(), hasCaption: new Map() };
  // The target being linted.
  private targetId = '';
  private targetStem: string | undefined;
  private targetKeys: ReadonlySet<string> | undefined;
  private serial = 0;
  private globalMask = 0;
  private others: Answer[] = [];

  constructor(private readonly index: DatasetIndex) {
    this.stats = new DatasetStats(index);
  }

  /** Forgets every answer (a full lint follows). */
  clear(): void {
    this.globals.length = 0;
    for (const kind of tagKinds) this.byTag[kind].clear();
    for (const kind of stemKinds) this.byStem[kind].clear();
  }

  /**
   * Starts recording for one target: a caption (with its stem and tag keys), an image (with its
   * stem), or the dataset. `ownKeys` must be the tag keys the index holds for the caption.
   */
  begin(targetId: string, stemKey: string | undefined, ownKeys: ReadonlySet<string> | undefined): void {
    this.targetId = targetId;
    this.targetStem = stemKey;
    this.targetKeys = ownKeys;
    this.serial++;
    this.globalMask = 0;
    if (this.others.length > 0) this.others = [];
  }

  /** Ends recording; writes what the target depended on into `dependencies`. */
  end(dependencies: TargetDependencies): void {
    dependencies.globals = this.globalMask;
    if (this.others.length > 0) {
      for (const answer of this.others) (answer.askedByOthers ??= new Set()).add(this.targetId);
      dependencies.others = this.others;
      this.others = [];
    }
  }

  /** A target is linted again or gone: drop its recorded questions. */
  forget(targetId: string, dependencies: TargetDependencies | undefined): void {
    for (const answer of dependencies?.others ?? []) answer.askedByOthers?.delete(targetId);
  }

  /**
   * Asks again every cached question whose answer these changes may have moved; returns the
   * targets that got a different answer. `withGlobal(bit)` lists the targets that asked global
   * question `bit`; `files` and `tags` are the changed files and the tag keys whose files changed.
   */
  reask(files: readonly string[], tags: readonly string[], withGlobal: (bit: number) => Iterable<string>): Set<string> {
    const dirty = new Set<string>();
    let countChanged = false;
    globalKinds.forEach((kind, bit) => {
      const answer = this.globals[bit];
      if (!answer || !this.refresh(answer, this.answerGlobal(kind))) return;
      if (kind === 'captionCount') countChanged = true;
      for (const id of withGlobal(bit)) dirty.add(id);
    });
    for (const kind of tagKinds) {
      const answers = this.byTag[kind];
      // Rarity and outliers are shares of the caption count: all move when it does.
      const keys = (kind === 'isRareTag' || kind === 'isOutfitOutlier') && countChanged ? [...answers.keys()] : kind === 'specificsOf' ? tags.flatMap(wordSuffixes) : tags;
      for (const key of keys) {
        const answer = answers.get(key);
        if (!answer) continue;
        if (this.refresh(answer, this.answerTag(kind, key))) {
          for (const id of answer.askedByOthers ?? []) dirty.add(id);
          for (const id of this.index.filesWithTag(key)) dirty.add(id);
        }
        if (!answer.askedByOthers?.size && this.index.tagFileCount(key) === 0) answers.delete(key);
      }
    }
    const stems = new Set(files.map(stemKeyOf));
    for (const kind of stemKinds) {
      const answers = this.byStem[kind];
      for (const stem of stems) {
        const answer = answers.get(stem);
        if (!answer) continue;
        if (this.refresh(answer, this.answerStem(kind, stem))) {
          for (const id of answer.askedByOthers ?? []) dirty.add(id);
          for (const id of this.index.filesOfStem(stem)) dirty.add(id);
        }
      }
    }
    return dirty;
  }

  // DatasetQueries, answered for the target being linted.
  captionCount(): number {
    return this.global('captionCount') as number;
  }
  imageCount(): number {
    return this.global('imageCount') as number;
  }
  underscoreMajority(): 'underscores' | 'spaces' | undefined {
    return this.global('underscoreMajority') as 'underscores' | 'spaces' | undefined;
  }
  outfitMajority(): string[] {
    return this.global('outfitMajority') as string[];
  }
  fixedTraits(): string[] {
    return this.global('fixedTraits') as string[];
  }
  tagFileCount(key: string): number {
    return this.tag('tagFileCount', key) as number;
  }
  isRareTag(key: string): boolean {
    return this.tag('isRareTag', key) as boolean;
  }
  isOutfitOutlier(key: string): boolean {
    return this.tag('isOutfitOutlier', key) as boolean;
  }
  specificsOf(key: string): string[] {
    return this.tag('specificsOf', key) as string[];
  }
  hasImage(stemKey: string): boolean {
    return this.stem('hasImage', stemKey) as boolean;
  }
  hasCaption(stemKey: string): boolean {
    return this.stem('hasCaption', stemKey) as boolean;
  }

  private global(kind: GlobalKind): unknown {
    const bit = globalBit[kind];
    let answer = this.globals[bit];
    if (!answer) {
      answer = newAnswer(this.answerGlobal(kind));
      this.globals[bit] = answer;
    }
    this.globalMask |= 1 << bit;
    return answer.value;
  }

  private tag(kind: TagKind, key: string): unknown {
    const answers = this.byTag[kind];
    let answer = answers.get(key);
    if (!answer) {
      answer = newAnswer(this.answerTag(kind, key));
      answers.set(key, answer);
    }
    if (answer.stamp !== this.serial) {
      answer.stamp = this.serial;
      if (!this.targetKeys?.has(key)) this.others.push(answer);
    }
    return answer.value;
  }

  private stem(kind: StemKind, stemKey: string): unknown {
    const answers = this.byStem[kind];
    let answer = answers.get(stemKey);
    if (!answer) {
      answer = newAnswer(this.answerStem(kind, stemKey));
      answers.set(stemKey, answer);
    }
    if (answer.stamp !== this.serial) {
      answer.stamp = this.serial;
      if (stemKey !== this.targetStem) this.others.push(answer);
    }
    return answer.value;
  }

  /** Stores a fresh answer; true when it differs from the cached one. */
  private refresh(answer: Answer, value: unknown): boolean {
    const serialised = serialise(value);
    if (serialised === answer.serialised) return false;
    answer.value = value;
    answer.serialised = serialised;
    return true;
  }

  private answerGlobal(kind: GlobalKind): unknown {
    switch (kind) {
      case 'captionCount':
        return this.stats.captionCount();
      case 'imageCount':
        return this.index.imageCount;
      case 'underscoreMajority':
        return this.stats.underscoreMajority();
      case 'outfitMajority':
        return this.stats.outfitMajority();
      case 'fixedTraits':
        return this.stats.fixedTraits();
    }
  }

  private answerTag(kind: TagKind, key: string): unknown {
    switch (kind) {
      case 'tagFileCount':
        return this.index.tagFileCount(key);
      case 'isRareTag':
        return this.stats.isRareTag(key);
      case 'isOutfitOutlier':
        return this.stats.isOutfitOutlier(key);
      case 'specificsOf':
        return this.stats.specificsOf(key);
    }
  }

  private answerStem(kind: StemKind, stemKey: string): unknown {
    return kind === 'hasImage' ? this.index.hasImageForStem(stemKey) : this.index.hasCaptionForStem(stemKey);
  }
}

function newAnswer(value: unknown): Answer {
  return { value, serialised: serialise(value), stamp: 0 };
}

function serialise(value: unknown): string {
  return typeof value === 'string' ? `"${value}` : typeof value === 'object' ? JSON.stringify(value) ?? 'undefined' : String(value);
}

/** `red maple leaf` → `maple leaf`, `leaf`: the general tags a tag is specific for. */
function wordSuffixes(key: string): string[] {
  const words = key.split(' ');
  const result: string[] = [];
  for (let i = 1; i < words.length; i++) result.push(words.slice(i).join(' '));
  return result;
}
