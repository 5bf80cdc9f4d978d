// DatasetLinter over the real dataset index (src/dataset) and lint engine (src/lint): one
// DatasetIndex + LintSession per workspace folder. Index changes are collected and handed to the
// engine's incremental `update` at the next lint, so a keystroke re-lints only what it affects.
// caption-length counts exactly with the CLIP tokenizer found from the settings (or the Hugging
// Face cache); it is parsed (~0.2 s) while the first index build waits on the disk.
import { isAbsolute, relative } from 'node:path';
import { DatasetIndex, type IndexChange } from '../dataset/datasetIndex';
import { fullDecodeImageLimit, verifyImageData } from '../dataset/imageInfo';
import { parseCaption, tagKey } from '../dataset/caption';
import { LintSession } from '../lint/engine';
import { knownTags as knowledgeBaseTags, tagCategory } from '../lint/knowledge';
import { allRules } from '../lint/rules';
import type { LintConfig } from '../lint/config';
import type { LintDiagnostic, LintFix, Severity, TextEdit } from '../lint/types';
import type { CaptionServerSettings, RuleDoc } from '../protocol/languageServerMessages';
import type { DatasetLinter, DatasetSummary, LintResult, TagSpan, TagUsage } from './datasetLinter';
import { findCaptionTokenCounter } from '../train/captionTokenCounterSearch';

interface Dataset {
  index: DatasetIndex;
  session: LintSession;
  /** Files changed since the last lint (undefined after a full re-lint is due). */
  pending: Set<string> | undefined;
  pendingSettings: boolean;
}

/** Datasets of up to this many images are decoded in full in the background (as the CLI's lint). */
const verifiedImagesAtMost = fullDecodeImageLimit;

function contains(root: string, file: string): boolean {
  const rel = relative(root, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

export class LintEngineAdapter implements DatasetLinter {
  private datasets: Dataset[] = [];
  private config: LintConfig = {};
  private readonly openTexts = new Map<string, string>();
  private knownTagList: Array<{ tag: string; key: string; category: string }> | undefined;
  private usageCache: { versions: string; usage: Map<string, TagUsage> } | undefined;
  /** The tokenizer settings and what they gave; undefined until searched for these settings. */
  private tokenizerSearch: { settingPath?: string; modelPath?: string } = {};
  private tokenizer: { countTokens?: (text: string) => number } | undefined;
  /** Bumped by every index: a background decoding pass of an older index stops. */
  private verification = 0;
  private backgroundListener: (() => void) | undefined;

  async index(folders: string[]): Promise<string[]> {
    // Start the scans first, so the disk works while the tokenizer is parsed.
    const builds = Promise.allSettled(folders.map((folder) => DatasetIndex.build(folder)));
    // A tokenizer installed since the last search is picked up by a re-index.
    if (this.tokenizer && !this.tokenizer.countTokens) this.tokenizer = undefined;
    await new Promise((resolveSoon) => setImmediate(resolveSoon));
    const tokenizerProblem = this.ensureTokenizer();
    const built = await builds;
    const problems = built.flatMap((b) => (b.status === 'rejected' ? [b.reason instanceof Error ? b.reason.message : String(b.reason)] : []));
    if (tokenizerProblem) problems.push(tokenizerProblem);
    const indexes = built.flatMap((b) => (b.status === 'fulfilled' ? [b.value] : []));
    this.datasets = indexes.map((index) => ({ index, session: new LintSession(index, this.config), pending: undefined, pendingSettings: false }));
    for (const [file, text] of this.openTexts) this.datasetOf(file)?.index.setCaptionText(file, text);
    this.usageCache = undefined;
    const generation = ++this.verification;
    for (const dataset of this.datasets) {
      if (dataset.index.imageCount <= verifiedImagesAtMost) this.verifyImages(dataset, [...dataset.index.images()].filter((e) => !e.problem).map((e) => e.path), generation);
    }
    return problems;
  }

  onBackgroundChange(listener: () => void): void {
    this.backgroundListener = listener;
  }

  /**
   * Decodes images one at a time after indexing, as training will (headers pass damaged data),
   * and reports what is damaged through the background listener. A re-index stops the pass.
   */
  private verifyImages(dataset: Dataset, paths: string[], generation: number): void {
    void (async () => {
      for (const path of paths) {
        if (generation !== this.verification) return;
        const problem = await verifyImageData(path, dataset.index.displayName(path));
        if (!problem || generation !== this.verification || !this.datasets.includes(dataset)) continue;
        const change = dataset.index.markImageUnusable(path, problem);
        this.record(dataset, change);
        if (change.files.length > 0) this.backgroundListener?.();
      }
    })().catch(() => undefined);
  }

  /** The dataset whose root holds the file (the innermost, when workspace folders nest). */
  private datasetOf(file: string): Dataset | undefined {
    let best: Dataset | undefined;
    for (const dataset of this.datasets) {
      if (contains(dataset.index.root, file) && (!best || dataset.index.root.length > best.index.root.length)) best = dataset;
    }
    return best;
  }

  private record(dataset: Dataset, change: IndexChange): void {
    if (change.files.length === 0) return;
    if (change.kinds.includes('settings')) dataset.pendingSettings = true;
    if (dataset.pending) for (const file of change.files) dataset.pending.add(file);
  }

  async fileChanged(file: string, kind: 'created' | 'changed' | 'deleted'): Promise<void> {
    const dataset = this.datasetOf(file);
    if (!dataset) return;
    // The editor's unsaved text wins over the disk's while the caption is open.
    if (kind !== 'deleted' && this.openTexts.has(file)) return;
    const change = kind === 'deleted' ? dataset.index.removeFile(file) : await dataset.index.updateFile(file);
    this.record(dataset, change);
    if (kind !== 'deleted' && dataset.index.kindOf(file) === 'image' && !dataset.index.getImage(file)?.problem) this.verifyImages(dataset, [file], this.verification);
  }

  async setOpenText(file: string, text: string | undefined): Promise<void> {
    if (text === undefined) this.openTexts.delete(file);
    else this.openTexts.set(file, text);
    const dataset = this.datasetOf(file);
    if (!dataset) return;
    const change = text === undefined ? await dataset.index.updateFile(file) : dataset.index.setCaptionText(file, text);
    this.record(dataset, change);
  }

  isCaption(file: string): boolean {
    return this.datasetOf(file)?.index.kindOf(file) === 'caption';
  }

  configure(settings: CaptionServerSettings): void {
    if (settings.tokenizerPath !== this.tokenizerSearch.settingPath || settings.modelPath !== this.tokenizerSearch.modelPath) {
      this.tokenizerSearch = { settingPath: settings.tokenizerPath, modelPath: settings.modelPath };
      this.tokenizer = undefined;
    }
    this.config = { rules: settings.lint.rules, extraVagueTags: settings.lint.extraVagueTags, countTokens: this.tokenizer?.countTokens };
    for (const dataset of this.datasets) dataset.pendingSettings = true;
  }

  /**
   * Searches and loads the tokenizer for the current settings once; caption-length estimates
   * without one. Returns the problem when the tokenizer the user set cannot be used.
   */
  private ensureTokenizer(): string | undefined {
    // Only caption-length counts tokens: with it off, loading the tokenizer is wasted time.
    if (this.tokenizer || this.config.rules?.['caption-length'] === 'off') return undefined;
    const result = findCaptionTokenCounter(this.tokenizerSearch);
    this.tokenizer = { countTokens: result.found ? result.counter.count : undefined };
    this.config = { ...this.config, countTokens: this.tokenizer.countTokens };
    // The server's log (the client's output channel) says which tokenizer counts.
    process.stderr.write(`caption-length: ${result.found ? `CLIP token counts from ${result.description}` : 'CLIP token counts are estimated (no CLIP tokenizer found)'}\n`);
    return result.found ? undefined : result.problem && `caption-length counts are estimated: ${result.problem}`;
  }

  lint(): LintResult {
    // Settings changed after indexing: the new tokenizer is loaded before this lint uses it.
    const tokenizerProblem = this.ensureTokenizer();
    if (tokenizerProblem) process.stderr.write(`${tokenizerProblem}\n`);
    let everything = false;
    const changed: string[] = [];
    for (const dataset of this.datasets) {
      if (!dataset.pending) {
        dataset.session.lintAll();
        everything = true;
      } else if (dataset.pendingSettings) {
        changed.push(...dataset.session.setConfig(this.config).changedFiles);
      } else if (dataset.pending.size > 0) {
        changed.push(...dataset.session.update({ files: [...dataset.pending] }).changedFiles);
      }
      dataset.pending = new Set();
      dataset.pendingSettings = false;
    }
    const all = new Map<string, LintDiagnostic[]>();
    for (const dataset of this.datasets) for (const [file, list] of dataset.session.allDiagnostics()) all.set(file, list);
    return { all, changed: everything ? 'all' : changed };
  }

  resolveFix(fix: LintFix): TextEdit[] {
    const rule = fix.deferred?.rule;
    for (const dataset of this.datasets) {
      const resolved = dataset.session.resolveFix(fix);
      if (resolved.edits.length > 0 || !rule) return resolved.edits;
    }
    return [];
  }

  keyOf(tag: string): string {
    return tagKey(tag);
  }

  tagsOf(text: string): TagSpan[] {
    return parseCaption(text).tags.map((t) => ({ tag: t.raw, key: t.key, start: t.start, end: t.end }));
  }

  tagUsage(): Map<string, TagUsage> {
    const versions = this.datasets.map((d) => d.index.version).join(',');
    if (this.usageCache?.versions === versions) return this.usageCache.usage;
    const usage = new Map<string, TagUsage>();
    for (const { index } of this.datasets) {
      for (const [key, count] of index.tagCounts()) {
        const entry = usage.get(key);
        if (entry) entry.count += count;
        else usage.set(key, { tag: index.tagSpelling(key), key, count });
      }
    }
    this.usageCache = { versions, usage };
    return usage;
  }

  filesWithTag(key: string): string[] {
    return this.datasets.flatMap(({ index }) => [...index.filesWithTag(key)]).sort();
  }

  knownTags(): Array<{ tag: string; key: string; category: string }> {
    // The knowledge base is fixed: computed once.
    this.knownTagList ??= knowledgeBaseTags().map((t) => ({ ...t, key: tagKey(t.tag) }));
    return this.knownTagList;
  }

  categoryOf(key: string): string | undefined {
    return tagCategory(key);
  }

  ruleDoc(id: string): RuleDoc | undefined {
    const rule = allRules.find((r) => r.id === id);
    return rule && { id: rule.id, summary: rule.summary, markdown: rule.doc, defaultSeverity: rule.defaultSeverity };
  }

  ruleIds(): string[] {
    return allRules.map((r) => r.id);
  }

  defaultSeverity(id: string): Severity | undefined {
    return allRules.find((r) => r.id === id)?.defaultSeverity;
  }

  captionCount(): number {
    return this.datasets.reduce((n, { index }) => n + index.captionCount, 0);
  }

  summaries(): DatasetSummary[] {
    return this.datasets.map(({ index }) => {
      let imagesWithoutCaption = 0;
      for (const image of index.images()) if (!index.hasCaptionForStem(image.stemKey)) imagesWithoutCaption++;
      const topTags = [...index.tagCounts()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, 30)
        .map(([key, count]) => ({ tag: index.tagSpelling(key), count }));
      return { folder: index.root, images: index.imageCount, captions: index.captionCount, imagesWithoutCaption, topTags };
    });
  }
}

export function createDatasetLinter(): DatasetLinter {
  return new LintEngineAdapter();
}
