// The lint engine: runs every enabled rule over every caption, image and the dataset as a
// whole, and keeps the results current after changes. Dataset-wide facts are answered once per
// index state (`DatasetQuestions`), which also knows which targets depend on which answer, so
// after a change only the changed files and the targets whose answers moved are linted again.
import type { DatasetIndex, IndexChange } from '../dataset/datasetIndex';
import type { LintConfig, RuleLevel } from './config';
import type { LintDiagnostic, LintFix, Severity } from './types';
import type { FixContext, LintRule, LintTarget, RuleContext, RuleProblem } from './rule';
import { DatasetQuestions, type TargetDependencies } from './datasetQuestions';
import { ReportedDiagnostic, plainDiagnostic, publishedForm } from './reportedDiagnostic';
import { resolveLintSettings, type ResolvedLintSettings } from './resolvedSettings';
import { allRules } from './rules';

const datasetTargetId = '\u0000dataset';
/** Shared by every target without problems (frozen: nothing may be added to it). */
const noDiagnostics: LintDiagnostic[] = Object.freeze([]) as unknown as LintDiagnostic[];

export interface LintUpdate {
  /** Files whose diagnostics, as an editor shows them, differ from before (including files that now have none). */
  changedFiles: string[];
  /** The current diagnostics of each changed file. */
  diagnostics: Map<string, LintDiagnostic[]>;
  /** How many targets were linted again (for benchmarks and tests). */
  relinted: number;
}

/** What the engine keeps of one linted target (one object per target: there are tens of thousands). */
interface TargetState extends TargetDependencies {
  diagnostics: LintDiagnostic[];
  /** A caption's tag keys when it was linted: what a later change added or dropped. */
  tagKeys?: ReadonlySet<string>;
}

export class LintSession {
  private settings: ResolvedLintSettings;
  private readonly rules: readonly LintRule[];
  private readonly rulesByKind: Record<LintTarget['kind'], LintRule[]>;
  private readonly questions: DatasetQuestions;
  private readonly states = new Map<string, TargetState>();
  private readonly byFile = new Map<string, LintDiagnostic[]>();
  private linted = false;
  // The target being linted and the rule being run, read by the shared `context.report`.
  private found: LintDiagnostic[] = noDiagnostics;
  private reportFile = '';
  private reportsForDataset = false;
  private currentRule: LintRule;
  private currentLevel: RuleLevel | undefined;
  private readonly context: RuleContext;
  private enabled: ReturnType<LintSession['enabledRules']> | undefined;

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
    this.questions = new DatasetQuestions(index);
    this.settings = resolveLintSettings(index, config);
    this.currentRule = rules[0];
    // One context for every target: rules read `settings` from it and report through it.
    const session = this;
    this.context = {
      index,
      dataset: this.questions,
      get settings() {
        return session.settings;
      },
      report: (problem) => this.report(problem),
    };
  }

  /** Lints everything from scratch; returns diagnostics by absolute file path. */
  lintAll(): Map<string, LintDiagnostic[]> {
    this.settings = resolveLintSettings(this.index, this.config);
    this.enabled = undefined;
    this.states.clear();
    this.byFile.clear();
    this.questions.clear();
    for (const entry of this.index.captions()) this.lintTarget(entry.path, { kind: 'caption', file: entry.path, entry, caption: entry.caption });
    for (const entry of this.index.images()) this.lintTarget(entry.path, { kind: 'image', file: entry.path, entry });
    this.lintTarget(datasetTargetId, { kind: 'dataset', file: this.index.root });
    this.linted = true;
    for (const [id, state] of this.states) {
      if (id !== datasetTargetId && state.diagnostics.length > 0) this.byFile.set(id, state.diagnostics);
    }
    // Dataset-wide problems land on the files they concern, beside those files' own.
    const datasetFound = this.states.get(datasetTargetId)?.diagnostics ?? [];
    for (const d of datasetFound) {
      const list = this.byFile.get(d.file);
      this.byFile.set(d.file, list ? [...list, d].sort(compareDiagnostics) : [d]);
    }
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
    const tags = this.changedTagKeys(change.files, change.tags);
    const dirty = this.questions.reask(change.files, tags, (bit) => this.targetsAsking(bit));
    for (const file of change.files) dirty.add(file);
    const touchedFiles = new Set<string>();
    for (const id of dirty) {
      const before = this.states.get(id);
      for (const d of before?.diagnostics ?? []) touchedFiles.add(d.file);
      this.questions.forget(id, before);
      this.states.delete(id);
      const target = this.targetById(id);
      if (target) this.lintTarget(id, target);
      for (const d of this.states.get(id)?.diagnostics ?? []) touchedFiles.add(d.file);
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
      if (publishedForm(before.get(file) ?? []) !== publishedForm(now)) {
        changedFiles.push(file);
        diagnostics.set(file, now);
      }
    }
    return { changedFiles: changedFiles.sort(), diagnostics, relinted: this.index.captionCount + this.index.imageCount + 1 };
  }

  private collectChanges(files: Set<string>, relinted: number): LintUpdate {
    const changedFiles: string[] = [];
    const diagnostics = new Map<string, LintDiagnostic[]>();
    const datasetFound = this.states.get(datasetTargetId)?.diagnostics ?? [];
    for (const file of files) {
      const now: LintDiagnostic[] = [];
      for (const d of this.states.get(file)?.diagnostics ?? []) if (d.file === file) now.push(d);
      for (const d of datasetFound) if (d.file === file) now.push(d);
      now.sort(compareDiagnostics);
      const before = this.byFile.get(file) ?? [];
      // Always keep the new objects (their fixes match the current text); report visible changes.
      if (now.length === 0) this.byFile.delete(file);
      else this.byFile.set(file, now);
      if (publishedForm(before) === publishedForm(now)) continue;
      changedFiles.push(file);
      diagnostics.set(file, now);
    }
    return { changedFiles: changedFiles.sort(), diagnostics, relinted };
  }

  private *targetsAsking(bit: number): Generator<string> {
    const mask = 1 << bit;
    for (const [id, state] of this.states) if (state.globals & mask) yield id;
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
      const before = this.states.get(file)?.tagKeys ?? new Set<string>();
      const after = this.index.getCaption(file)?.caption?.keys ?? new Set<string>();
      for (const key of before) if (!after.has(key)) changed.add(key);
      for (const key of after) if (!before.has(key)) changed.add(key);
    }
    return [...changed];
  }

  private report(problem: RuleProblem): void {
    if (this.found === noDiagnostics) this.found = [];
    const rule = this.currentRule;
    const severity: Severity = (this.currentLevel as Severity | undefined) ?? problem.severity ?? rule.defaultSeverity;
    const file = this.reportsForDataset ? problem.file ?? this.reportFile : this.reportFile;
    this.found.push(new ReportedDiagnostic(file, problem.range, severity, rule.id, problem.message, problem.fixes, problem.data));
  }

  private lintTarget(id: string, target: LintTarget): void {
    this.found = noDiagnostics;
    this.reportFile = target.file;
    this.reportsForDataset = target.kind === 'dataset';
    this.questions.begin(id, target.kind === 'dataset' ? undefined : target.entry.stemKey, target.kind === 'caption' ? target.caption?.keys : undefined);
    const enabled = this.enabledRules()[target.kind];
    for (let i = 0; i < enabled.rules.length; i++) {
      this.currentLevel = enabled.levels[i];
      this.currentRule = enabled.rules[i];
      enabled.rules[i].check(target, this.context);
    }
    const found = this.found;
    if (found.length > 1 && !inOrder(found)) found.sort(compareDiagnostics);
    const state: TargetState = { diagnostics: found, globals: 0, others: undefined, tagKeys: undefined };
    this.questions.end(state);
    if (target.kind === 'caption' && target.caption) state.tagKeys = target.caption.keys;
    // An image without problems or recorded questions leaves nothing to remember (most of them).
    if (target.kind === 'image' && found.length === 0 && state.globals === 0 && !state.others) return;
    this.states.set(id, state);
  }

  /** The rules each kind of target runs with the current settings, and their configured levels. */
  private enabledRules(): Record<LintTarget['kind'], { rules: LintRule[]; levels: Array<RuleLevel | undefined> }> {
    if (!this.enabled) {
      const levels = this.settings.levels;
      const pick = (rules: LintRule[]) => {
        const on = rules.filter((rule) => levels[rule.id] !== 'off');
        return { rules: on, levels: on.map((rule) => levels[rule.id]) };
      };
      this.enabled = { caption: pick(this.rulesByKind.caption), image: pick(this.rulesByKind.image), dataset: pick(this.rulesByKind.dataset) };
    }
    return this.enabled;
  }
}

/** Rules mostly report in text order already: checking is cheaper than sorting. */
function inOrder(list: LintDiagnostic[]): boolean {
  for (let i = 1; i < list.length; i++) if (compareDiagnostics(list[i - 1], list[i]) > 0) return false;
  return true;
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
      result.push(plainDiagnostic(d, fixes));
    }
  }
  return result;
}
