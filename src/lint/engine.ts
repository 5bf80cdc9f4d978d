// The lint engine: runs every enabled rule over every caption, image and the dataset as a
// whole, and keeps the results current after changes. Dataset-wide facts are computed once
// per index state; each target records which facts it asked for, so after a change only the
// changed files and the targets whose facts changed are linted again.
import { stemKeyOf, type DatasetIndex, type IndexChange } from '../dataset/datasetIndex';
import type { LintConfig, RuleLevel } from './config';
import type { LintDiagnostic, LintFix, Severity } from './types';
import type { DatasetQueries, FixContext, LintRule, LintTarget, RuleContext } from './rule';
import { DatasetStats } from './datasetStats';
import { resolveLintSettings, type ResolvedLintSettings } from './resolvedSettings';
import { allRules } from './rules';

const datasetTargetId = '\u0000dataset';

type QueryKind =
  | 'captionCount'
  | 'imageCount'
  | 'tagFileCount'
  | 'isRareTag'
  | 'hasImage'
  | 'hasCaption'
  | 'underscoreMajority'
  | 'outfitMajority'
  | 'isOutfitOutlier'
  | 'fixedTraits'
  | 'specificsOf';

/** One recorded question about the dataset, its last answer, and the targets that asked it. */
interface Query {
  kind: QueryKind;
  argument: string;
  value: unknown;
  serialised: string;
  dependents: Set<string>;
}

export interface LintUpdate {
  /** Files whose diagnostics differ from before (including files that now have none). */
  changedFiles: string[];
  /** The current diagnostics of each changed file. */
  diagnostics: Map<string, LintDiagnostic[]>;
  /** How many targets were linted again (for benchmarks and tests). */
  relinted: number;
}

export class LintSession {
  private settings: ResolvedLintSettings;
  private readonly stats: DatasetStats;
  private readonly rules: readonly LintRule[];
  private readonly rulesByKind: Record<LintTarget['kind'], LintRule[]>;
  private readonly byTarget = new Map<string, LintDiagnostic[]>();
  private readonly byFile = new Map<string, LintDiagnostic[]>();
  /** Questions by kind, then by argument ('' for questions without one). */
  private readonly queries = new Map<QueryKind, Map<string, Query>>();
  private readonly targetQueries = new Map<string, Query[]>();
  /** Tag keys each caption had when last linted: what an update changed, whoever reports it. */
  private readonly lintedTagKeys = new Map<string, Set<string>>();
  private linted = false;

  constructor(
    readonly index: DatasetIndex,
    private config: LintConfig = {},
    rules: readonly LintRule[] = allRules,
  ) {
    this.rules = rules;
    this.rulesByKind = {
      caption: rules.filter((r) => r.targets.includes('caption')),
      image: rules.filter((r) => r.targets.includes('image')),
      dataset: rules.filter((r) => r.targets.includes('dataset')),
    };
    this.stats = new DatasetStats(index);
    this.settings = resolveLintSettings(index, config);
  }

  /** Lints everything from scratch; returns diagnostics by absolute file path. */
  lintAll(): Map<string, LintDiagnostic[]> {
    this.settings = resolveLintSettings(this.index, this.config);
    this.byTarget.clear();
    this.byFile.clear();
    this.queries.clear();
    this.targetQueries.clear();
    this.lintedTagKeys.clear();
    for (const target of this.targets()) this.lintTarget(target);
    this.linted = true;
    for (const diagnostics of this.byTarget.values()) {
      for (const d of diagnostics) {
        const list = this.byFile.get(d.file);
        if (list) list.push(d);
        else this.byFile.set(d.file, [d]);
      }
    }
    for (const list of this.byFile.values()) list.sort(compareDiagnostics);
    return new Map(this.byFile);
  }

  /** Replaces the configuration (settings changed) and lints everything again. */
  setConfig(config: LintConfig): LintUpdate {
    this.config = config;
    return this.relintEverything();
  }

  /**
   * Call after the index changed (`index.updateFile`/`removeFile`): lints the changed files and
   * every target whose dataset-wide facts changed, and says which files' diagnostics changed.
   */
  update(change: IndexChange | { files: string[]; kinds?: string[]; tags?: string[] }): LintUpdate {
    const settingsChanged = (change.kinds ?? []).includes('settings') || change.files.some((f) => this.index.kindOf(f) === 'settings');
    if (!this.linted || settingsChanged) return this.relintEverything();
    const dirty = new Set<string>();
    for (const file of change.files) dirty.add(file);
    // Ask again the recorded questions whose answers may have moved; targets that get a
    // different answer are linted again. Knowing which tags changed narrows the per-tag
    // questions to those tags (and, for specifics, to the tags they end with).
    const reask = (query: Query) => {
      const value = this.answer(query.kind, query.argument);
      const serialised = serialise(value);
      if (serialised !== query.serialised) {
        query.value = value;
        query.serialised = serialised;
        for (const target of query.dependents) dirty.add(target);
      }
    };
    const captionCountBefore = this.queries.get('captionCount')?.get('')?.serialised;
    for (const kind of ['captionCount', 'imageCount', 'underscoreMajority', 'outfitMajority', 'fixedTraits'] as const) {
      const query = this.queries.get(kind)?.get('');
      if (query) reask(query);
    }
    const countChanged = this.queries.get('captionCount')?.get('')?.serialised !== captionCountBefore;
    const tags = this.changedTagKeys(change.files, change.tags);
    const stems = new Set(change.files.map(stemKeyOf));
    for (const [kind, byArgument] of this.queries) {
      if (kind === 'captionCount' || kind === 'imageCount' || kind === 'underscoreMajority' || kind === 'outfitMajority' || kind === 'fixedTraits') continue;
      let arguments_: Iterable<string>;
      if ((kind === 'isRareTag' || kind === 'isOutfitOutlier') && countChanged) arguments_ = [...byArgument.keys()];
      else if (kind === 'hasImage' || kind === 'hasCaption') arguments_ = stems;
      else if (kind === 'specificsOf') arguments_ = tags.flatMap(wordSuffixes);
      else arguments_ = tags;
      for (const argument of arguments_) {
        const query = byArgument.get(argument);
        if (!query) continue;
        if (query.dependents.size === 0) byArgument.delete(argument);
        else reask(query);
      }
    }
    const touchedFiles = new Set<string>();
    for (const id of dirty) {
      for (const d of this.byTarget.get(id) ?? []) touchedFiles.add(d.file);
      this.forgetTarget(id);
      const target = this.targetById(id);
      if (target) this.lintTarget(target);
      for (const d of this.byTarget.get(id) ?? []) touchedFiles.add(d.file);
      if (id !== datasetTargetId) touchedFiles.add(id);
    }
    return this.collectChanges(touchedFiles, dirty.size);
  }

  diagnosticsFor(file: string): LintDiagnostic[] {
    return this.byFile.get(file) ?? [];
  }

  allDiagnostics(): Map<string, LintDiagnostic[]> {
    return new Map(this.byFile);
  }

  /** Fills in the edits of a deferred (dataset-wide) fix from the files' current text. */
  resolveFix(fix: LintFix): LintFix {
    if (!fix.deferred) return fix;
    const rule = this.rules.find((r) => r.id === fix.deferred!.rule);
    if (!rule?.resolveDeferred) return fix;
    const context: FixContext = { index: this.index, settings: this.settings };
    return { ...fix, edits: rule.resolveDeferred(fix.deferred, context) };
  }

  private relintEverything(): LintUpdate {
    const before = new Map(this.byFile);
    this.lintAll();
    const files = new Set<string>([...before.keys(), ...this.byFile.keys()]);
    const changedFiles: string[] = [];
    const diagnostics = new Map<string, LintDiagnostic[]>();
    for (const file of files) {
      const now = this.byFile.get(file) ?? [];
      if (serialise(before.get(file) ?? []) !== serialise(now)) {
        changedFiles.push(file);
        diagnostics.set(file, now);
      }
    }
    return { changedFiles: changedFiles.sort(), diagnostics, relinted: this.byTarget.size };
  }

  private collectChanges(files: Set<string>, relinted: number): LintUpdate {
    const changedFiles: string[] = [];
    const diagnostics = new Map<string, LintDiagnostic[]>();
    for (const file of files) {
      const now: LintDiagnostic[] = [];
      for (const d of this.byTarget.get(file) ?? []) if (d.file === file) now.push(d);
      for (const d of this.byTarget.get(datasetTargetId) ?? []) if (d.file === file) now.push(d);
      now.sort(compareDiagnostics);
      const before = this.byFile.get(file) ?? [];
      if (serialise(before) === serialise(now)) continue;
      if (now.length === 0) this.byFile.delete(file);
      else this.byFile.set(file, now);
      changedFiles.push(file);
      diagnostics.set(file, now);
    }
    return { changedFiles: changedFiles.sort(), diagnostics, relinted };
  }

  private *targets(): Generator<LintTarget> {
    for (const entry of this.index.captions()) yield { kind: 'caption', file: entry.path, entry, caption: entry.caption };
    for (const entry of this.index.images()) yield { kind: 'image', file: entry.path, entry };
    yield { kind: 'dataset', file: this.index.root };
  }

  private targetById(id: string): LintTarget | undefined {
    if (id === datasetTargetId) return { kind: 'dataset', file: this.index.root };
    const caption = this.index.getCaption(id);
    if (caption) return { kind: 'caption', file: id, entry: caption, caption: caption.caption };
    const image = this.index.getImage(id);
    if (image) return { kind: 'image', file: id, entry: image };
    return undefined;
  }

  /** Tag keys added to or dropped from these captions since they were last linted. */
  private changedTagKeys(files: string[], reported: string[] | undefined): string[] {
    const changed = new Set(reported ?? []);
    for (const file of files) {
      const before = this.lintedTagKeys.get(file) ?? new Set<string>();
      const after = new Set((this.index.getCaption(file)?.caption?.tags ?? []).map((t) => t.key));
      for (const key of before) if (!after.has(key)) changed.add(key);
      for (const key of after) if (!before.has(key)) changed.add(key);
    }
    return [...changed];
  }

  private forgetTarget(id: string): void {
    this.lintedTagKeys.delete(id);
    this.byTarget.delete(id);
    for (const query of this.targetQueries.get(id) ?? []) query.dependents.delete(id);
    this.targetQueries.delete(id);
  }

  private lintTarget(target: LintTarget): void {
    const id = target.kind === 'dataset' ? datasetTargetId : target.file;
    const found: LintDiagnostic[] = [];
    const dataset = new TrackedQueries(this);
    // One context per target; `report` reads the rule being run from `current`.
    let current: LintRule = this.rules[0];
    let level: RuleLevel | undefined;
    const context: RuleContext = {
      index: this.index,
      dataset,
      settings: this.settings,
      report(problem) {
        const severity: Severity = (level as Severity | undefined) ?? problem.severity ?? current.defaultSeverity;
        found.push({
          file: target.kind === 'dataset' ? problem.file ?? target.file : target.file,
          range: problem.range,
          severity,
          code: current.id,
          message: problem.message,
          fixes: problem.fixes ?? [],
          ...(problem.data ? { data: problem.data } : {}),
        });
      },
    };
    for (const rule of this.rulesByKind[target.kind]) {
      level = this.settings.levels[rule.id];
      if (level === 'off') continue;
      current = rule;
      rule.check(target, context);
    }
    if (found.length > 0) this.byTarget.set(id, found);
    if (target.kind === 'caption' && target.caption) this.lintedTagKeys.set(id, new Set(target.caption.tags.map((t) => t.key)));
    if (dataset.asked.size > 0) {
      const asked = [...dataset.asked];
      for (const query of asked) query.dependents.add(id);
      this.targetQueries.set(id, asked);
    }
  }

  /** Answers a question; `asked` collects the questions of the target being linted. */
  ask(asked: Set<Query>, kind: QueryKind, argument: string): unknown {
    let byArgument = this.queries.get(kind);
    if (!byArgument) {
      byArgument = new Map();
      this.queries.set(kind, byArgument);
    }
    let query = byArgument.get(argument);
    if (!query) {
      const value = this.answer(kind, argument);
      query = { kind, argument, value, serialised: serialise(value), dependents: new Set() };
      byArgument.set(argument, query);
    }
    asked.add(query);
    return query.value;
  }

  private answer(kind: QueryKind, argument: string): unknown {
    const { stats, index } = this;
    switch (kind) {
      case 'captionCount':
        return stats.captionCount();
      case 'imageCount':
        return index.imageCount;
      case 'tagFileCount':
        return index.tagFileCount(argument);
      case 'isRareTag':
        return stats.isRareTag(argument);
      case 'hasImage':
        return index.hasImageForStem(argument);
      case 'hasCaption':
        return index.hasCaptionForStem(argument);
      case 'underscoreMajority':
        return stats.underscoreMajority();
      case 'outfitMajority':
        return stats.outfitMajority();
      case 'isOutfitOutlier':
        return stats.isOutfitOutlier(argument);
      case 'fixedTraits':
        return stats.fixedTraits();
      case 'specificsOf':
        return stats.specificsOf(argument);
    }
  }
}

/** The dataset questions one target may ask, each recorded as a dependency of that target. */
class TrackedQueries implements DatasetQueries {
  /** The questions this target asked (recorded as its dependencies when linting ends). */
  readonly asked = new Set<Query>();
  constructor(private readonly session: LintSession) {}
  captionCount(): number {
    return this.session.ask(this.asked, 'captionCount', '') as number;
  }
  imageCount(): number {
    return this.session.ask(this.asked, 'imageCount', '') as number;
  }
  tagFileCount(key: string): number {
    return this.session.ask(this.asked, 'tagFileCount', key) as number;
  }
  isRareTag(key: string): boolean {
    return this.session.ask(this.asked, 'isRareTag', key) as boolean;
  }
  hasImage(stemKey: string): boolean {
    return this.session.ask(this.asked, 'hasImage', stemKey) as boolean;
  }
  hasCaption(stemKey: string): boolean {
    return this.session.ask(this.asked, 'hasCaption', stemKey) as boolean;
  }
  underscoreMajority(): 'underscores' | 'spaces' | undefined {
    return this.session.ask(this.asked, 'underscoreMajority', '') as 'underscores' | 'spaces' | undefined;
  }
  outfitMajority(): string[] {
    return this.session.ask(this.asked, 'outfitMajority', '') as string[];
  }
  isOutfitOutlier(key: string): boolean {
    return this.session.ask(this.asked, 'isOutfitOutlier', key) as boolean;
  }
  fixedTraits(): string[] {
    return this.session.ask(this.asked, 'fixedTraits', '') as string[];
  }
  specificsOf(key: string): string[] {
    return this.session.ask(this.asked, 'specificsOf', key) as string[];
  }
}

/** `red maple leaf` → `maple leaf`, `leaf`: the general tags a tag is specific for. */
function wordSuffixes(key: string): string[] {
  const words = key.split(' ');
  const result: string[] = [];
  for (let i = 1; i < words.length; i++) result.push(words.slice(i).join(' '));
  return result;
}

function serialise(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

function compareDiagnostics(a: LintDiagnostic, b: LintDiagnostic): number {
  return (
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

export interface LintDatasetOptions {
  /** Compute the edits of dataset-wide fixes too (the CLI's JSON output wants them). */
  resolveDeferredFixes?: boolean;
  /**
   * With `resolveDeferredFixes`: list each dataset-wide fix only on the first diagnostic that
   * offers it, so output for a large dataset does not repeat the same many-file edit per problem.
   */
  datasetFixesOnce?: boolean;
}

/** Lints the whole dataset once: every diagnostic, sorted by file then position. */
export function lintDataset(index: DatasetIndex, config: LintConfig = {}, options: LintDatasetOptions = {}): LintDiagnostic[] {
  const session = new LintSession(index, config);
  const byFile = session.lintAll();
  const files = [...byFile.keys()].sort();
  const resolved = new Map<string, LintFix>();
  const result: LintDiagnostic[] = [];
  for (const file of files) {
    for (const d of byFile.get(file)!) {
      if (!options.resolveDeferredFixes) {
        result.push(d);
        continue;
      }
      const fixes: LintFix[] = [];
      for (const fix of d.fixes) {
        if (!fix.deferred) {
          fixes.push(fix);
          continue;
        }
        const key = JSON.stringify(fix.deferred);
        let done = resolved.get(key);
        if (done && options.datasetFixesOnce) continue;
        if (!done) {
          done = session.resolveFix(fix);
          resolved.set(key, done);
        }
        fixes.push({ ...fix, edits: done.edits });
      }
      result.push({ ...d, fixes });
    }
  }
  return result;
}
