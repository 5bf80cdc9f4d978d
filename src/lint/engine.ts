// The lint engine: runs every enabled rule over every caption, image and the dataset as a
// whole, and keeps the results current after changes. Dataset-wide facts are computed once
// per index state; each target records which facts it asked for, so after a change only the
// changed files and the targets whose facts changed are linted again.
import type { DatasetIndex, IndexChange } from '../dataset/datasetIndex';
import type { LintConfig } from './config';
import type { LintDiagnostic, LintFix, Severity } from './types';
import type { DatasetQueries, FixContext, LintRule, LintTarget, RuleContext } from './rule';
import { DatasetStats } from './datasetStats';
import { resolveLintSettings, type ResolvedLintSettings } from './resolvedSettings';
import { allRules } from './rules';

const datasetTargetId = '\u0000dataset';

interface Query {
  compute: () => unknown;
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
  private readonly byTarget = new Map<string, LintDiagnostic[]>();
  private readonly byFile = new Map<string, LintDiagnostic[]>();
  private readonly queries = new Map<string, Query>();
  private readonly targetQueries = new Map<string, Set<string>>();
  private linted = false;

  constructor(
    readonly index: DatasetIndex,
    private config: LintConfig = {},
    rules: readonly LintRule[] = allRules,
  ) {
    this.rules = rules;
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
  update(change: IndexChange | { files: string[]; kinds?: string[] }): LintUpdate {
    if (!this.linted || (change.kinds ?? []).includes('settings')) return this.relintEverything();
    const dirty = new Set<string>();
    for (const file of change.files) dirty.add(file);
    // Re-ask every recorded question; targets that got a different answer are linted again.
    for (const [key, query] of this.queries) {
      if (query.dependents.size === 0) {
        this.queries.delete(key);
        continue;
      }
      const value = query.compute();
      const serialised = serialise(value);
      if (serialised !== query.serialised) {
        query.value = value;
        query.serialised = serialised;
        for (const target of query.dependents) dirty.add(target);
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

  private forgetTarget(id: string): void {
    this.byTarget.delete(id);
    for (const key of this.targetQueries.get(id) ?? []) this.queries.get(key)?.dependents.delete(id);
    this.targetQueries.delete(id);
  }

  private lintTarget(target: LintTarget): void {
    const id = target.kind === 'dataset' ? datasetTargetId : target.file;
    const found: LintDiagnostic[] = [];
    const dataset = this.queriesFor(id);
    for (const rule of this.rules) {
      if (!rule.targets.includes(target.kind)) continue;
      const level = this.settings.levels[rule.id];
      if (level === 'off') continue;
      const context: RuleContext = {
        index: this.index,
        dataset,
        settings: this.settings,
        report: (problem) => {
          const severity: Severity = level ?? problem.severity ?? rule.defaultSeverity;
          found.push({
            file: target.kind === 'dataset' ? problem.file ?? target.file : target.file,
            range: problem.range,
            severity,
            code: rule.id,
            message: problem.message,
            fixes: problem.fixes ?? [],
            ...(problem.data ? { data: problem.data } : {}),
          });
        },
      };
      rule.check(target, context);
    }
    if (found.length > 0) this.byTarget.set(id, found);
  }

  private ask<T>(targetId: string, key: string, compute: () => T): T {
    let query = this.queries.get(key);
    if (!query) {
      const value = compute();
      query = { compute, value, serialised: serialise(value), dependents: new Set() };
      this.queries.set(key, query);
    }
    query.dependents.add(targetId);
    let keys = this.targetQueries.get(targetId);
    if (!keys) {
      keys = new Set();
      this.targetQueries.set(targetId, keys);
    }
    keys.add(key);
    return query.value as T;
  }

  private queriesFor(id: string): DatasetQueries {
    const { stats, index } = this;
    return {
      captionCount: () => this.ask(id, 'captionCount', () => stats.captionCount()),
      imageCount: () => this.ask(id, 'imageCount', () => index.imageCount),
      tagFileCount: (key) => this.ask(id, `count:${key}`, () => index.tagFileCount(key)),
      isRareTag: (key) => this.ask(id, `rare:${key}`, () => stats.isRareTag(key)),
      hasImage: (stem) => this.ask(id, `hasImage:${stem}`, () => index.hasImageForStem(stem)),
      hasCaption: (stem) => this.ask(id, `hasCaption:${stem}`, () => index.hasCaptionForStem(stem)),
      underscoreMajority: () => this.ask(id, 'underscoreMajority', () => stats.underscoreMajority()),
      outfitMajority: () => this.ask(id, 'outfitMajority', () => stats.outfitMajority()),
      isOutfitOutlier: (key) => this.ask(id, `outfitOutlier:${key}`, () => stats.isOutfitOutlier(key)),
      fixedTraits: () => this.ask(id, 'fixedTraits', () => stats.fixedTraits()),
      specificsOf: (key) => this.ask(id, `specifics:${key}`, () => stats.specificsOf(key)),
    };
  }
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
      const fixes = d.fixes.map((fix) => {
        if (!fix.deferred) return fix;
        const key = JSON.stringify(fix.deferred);
        let done = resolved.get(key);
        if (!done) {
          done = session.resolveFix(fix);
          resolved.set(key, done);
        }
        return { ...fix, edits: done.edits };
      });
      result.push({ ...d, fixes });
    }
  }
  return result;
}
