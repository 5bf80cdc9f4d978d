import type { LintRule } from '../rule';
import type { DeferredFix, LintFix, TextEdit } from '../types';
import type { DatasetIndex } from '../../dataset/datasetIndex';
import type { ResolvedLintSettings, VagueTagAdvice } from '../resolvedSettings';
import { traitCategoryOf } from '../knowledge/traits';
import { isPeopleCountTag } from '../knowledge/peopleCount';
import { metaTags } from '../knowledge/metaTags';
import { codeOf, removeTagsEdits, spellLike } from '../tagEdits';
import { prefersUnderscores } from '../captionStyle';
import { tagKey, type CaptionTag, type ParsedCaption } from '../../dataset/caption';

const maxAlternatives = 6;

const eligibleMemo = new Map<string, boolean>();

/** Tags the dataset-driven check considers: not traits (`long hair` vs `very long hair`), people counts or meta tags. */
function mayBeGeneral(key: string): boolean {
  let eligible = eligibleMemo.get(key);
  if (eligible === undefined) {
    eligible = !traitCategoryOf(key) && !isPeopleCountTag(key) && !metaTags.has(key);
    if (eligibleMemo.size > 100_000) eligibleMemo.clear();
    eligibleMemo.set(key, eligible);
  }
  return eligible;
}
const maxDatasetFixes = 3;

/** Edits turning the `occurrences` of a tag into `replacement`, or dropping them if it is already there. */
function replaceInCaption(file: string, caption: ParsedCaption, occurrences: CaptionTag[], replacement: string, alreadyThere: boolean, underscores: boolean): TextEdit[] {
  if (occurrences.length === 0) return [];
  const removals = alreadyThere ? occurrences : occurrences.slice(1);
  const edits = removals.length > 0 ? removeTagsEdits(file, caption, removals.map((t) => t.index)) : [];
  if (!alreadyThere) edits.push({ file, range: occurrences[0].range, newText: spellLike(replacement, underscores) });
  return edits;
}

function occurrencesOf(caption: ParsedCaption, key: string): CaptionTag[] {
  return caption.tags.filter((t) => t.key === key);
}

/** What every report of one tag (as written) shares across captions: message, alternatives, fix titles. */
interface SharedReport {
  message: string;
  shown: Array<{ text: string; key: string }>;
  /** `shown` as written, for the diagnostic's data. */
  shownTexts: string[];
  /** Per shown alternative: the fix title when this caption already has it, or else in either spelling style. */
  removeTitles: string[];
  replaceTitles: string[];
  replaceTitlesUnderscored: string[];
  datasetFixes: Array<{ title: string; deferred: DeferredFix }>;
}

interface ReportMemo {
  version: number;
  settings: ResolvedLintSettings;
  /** By the dataset's specifics answer (one array per answer), then tag as written + specifics here. */
  bySpecifics: WeakMap<string[], Map<string, SharedReport>>;
}

// The same tags recur in thousands of captions of a dataset; building their messages and fix
// titles once per index state and settings made the vague-tag rule most of a full lint.
const reportMemos = new WeakMap<DatasetIndex, ReportMemo>();

function memoFor(index: DatasetIndex, settings: ResolvedLintSettings): ReportMemo {
  let memo = reportMemos.get(index);
  if (!memo || memo.version !== index.version || memo.settings !== settings) {
    memo = { version: index.version, settings, bySpecifics: new WeakMap() };
    reportMemos.set(index, memo);
  }
  return memo;
}

function sharedReport(memo: ReportMemo, tag: CaptionTag, advice: VagueTagAdvice | undefined, specifics: string[], specificsHere: string[], index: DatasetIndex): SharedReport {
  let byTag = memo.bySpecifics.get(specifics);
  if (!byTag) {
    byTag = new Map();
    memo.bySpecifics.set(specifics, byTag);
  }
  // `advice` is fixed by the tag key (and the settings the memo belongs to); the raw text fixes the key.
  const memoKey = specificsHere.length === 0 ? tag.raw : `${tag.raw}\u0000${specificsHere.join('\u0000')}`;
  let shared = byTag.get(memoKey);
  if (shared) return shared;
  // The dataset's own specific tags first, then the advice; each with its comparison key.
  const alternatives: Array<{ text: string; key: string }> = specifics.map((key) => ({ text: index.tagSpelling(key), key }));
  advice?.alternatives.forEach((text, i) => {
    const key = advice.alternativeKeys[i];
    if (!specifics.includes(key)) alternatives.push({ text, key });
  });
  const shown = alternatives.slice(0, maxAlternatives);
  const fromDataset = specifics.filter((s) => !specificsHere.includes(s));
  let message = `${codeOf(tag.raw)} is over-general: training it on one kind of ${advice?.tag ?? tag.key} makes every one the model draws look like yours.`;
  if (specificsHere.length > 0) message += ` This caption already names ${specificsHere.map(codeOf).join(', ')}.`;
  if (fromDataset.length > 0) message += ` Other captions of this dataset use ${fromDataset.slice(0, 4).map(codeOf).join(', ')}.`;
  if (shown.length > 0 && fromDataset.length === 0) message += ` Name the kind instead, e.g. ${shown.slice(0, 4).map((a) => codeOf(a.text)).join(', ')}.`;
  if (shown.length === 0) message += ' Name the specific kind instead.';
  const written = codeOf(tag.raw);
  shared = {
    message,
    shown,
    shownTexts: shown.map((a) => a.text),
    removeTitles: shown.map((a) => `Remove ${written} (this caption already has ${codeOf(a.text)})`),
    replaceTitles: shown.map((a) => `Replace ${written} with ${codeOf(spellLike(a.text, false))}`),
    replaceTitlesUnderscored: shown.map((a) => `Replace ${written} with ${codeOf(spellLike(a.text, true))}`),
    datasetFixes: shown.slice(0, maxDatasetFixes).map((a) => ({
      title: `Replace ${codeOf(tag.key)} with ${codeOf(a.text)} in every caption of the dataset`,
      deferred: { rule: 'vague-tag', action: 'replace-all', tag: tag.key, replacement: a.text },
    })),
  };
  byTag.set(memoKey, shared);
  return shared;
}

export const vagueTagRule: LintRule = {
  id: 'vague-tag',
  defaultSeverity: 'warning',
  summary: 'An over-general tag that binds different looks to one word.',
  doc:
    'Reports over-general tags such as `leaf`, `flower`, `hat` or `sword`. Training binds whatever the images show to the words of the caption: train `leaf` on serrated maple leaves and every leaf the model draws becomes serrated. Naming the specific thing (`maple leaf`, `ginkgo leaf`, `mint leaf`) keeps each look on its own tag. The list comes from our knowledge base, the `embeddingStudio.lint.extraVagueTags` setting and `vagueTags` in `.embedding-studio/tag-advice.json` (where `ignoreTags` silences a tag). Tags that are usually background rather than part of the character (scenery such as `sky`, buildings such as `window`, vehicles) are reported at information level: a dataset tagged by WD14 names them in hundreds of captions, and they bind a look to the background, not to your embedding. The rule also learns from the dataset: when other captions use specific tags ending with this one (`maple leaf` elsewhere, plain `leaf` here), it says so at information level. Fixes: replace the tag with one of the alternatives (the dataset’s own first), or replace it in every caption of the dataset.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const caption = target.caption;
    const { vagueTags, ignoreTags } = context.settings;
    const keysHere = caption.keys;
    const underscores = prefersUnderscores(caption);
    let reported: Set<string> | undefined; // made on the first report: most captions have none
    const memo = memoFor(context.index, context.settings);
    for (const tag of caption.tags) {
      if (reported?.has(tag.key) || ignoreTags.has(tag.key)) continue;
      const advice = vagueTags.get(tag.key);
      const datasetDriven = !advice && mayBeGeneral(tag.key);
      if (!advice && !datasetDriven) continue;
      const specifics = context.dataset.specificsOf(tag.key);
      const specificsHere = specifics.length === 0 ? specifics : specifics.filter((s) => keysHere.has(s));
      if (!advice && (specifics.length === 0 || specificsHere.length > 0)) continue;
      (reported ??= new Set()).add(tag.key);
      const shared = sharedReport(memo, tag, advice, specifics, specificsHere, context.index);
      const file = target.file;
      // Built when an editor asks (see RuleProblem.fixes): everything it reads is fixed here.
      const fixes = (): LintFix[] => {
        const occurrences = occurrencesOf(caption, tag.key);
        const list: LintFix[] = shared.shown.map((alternative, i) => {
          const already = keysHere.has(alternative.key);
          return {
            title: already ? shared.removeTitles[i] : underscores ? shared.replaceTitlesUnderscored[i] : shared.replaceTitles[i],
            edits: replaceInCaption(file, caption, occurrences, alternative.text, already, underscores),
            scope: 'problem' as const,
          };
        });
        for (const datasetFix of shared.datasetFixes) {
          list.push({ title: datasetFix.title, edits: [], scope: 'dataset', deferred: { ...datasetFix.deferred } });
        }
        return list;
      };
      context.report({
        range: tag.range,
        message: shared.message,
        // Background things (sky, buildings, vehicles) and the dataset's own hints inform; the rest warns.
        severity: advice && !advice.background ? undefined : 'information',
        data: { tag: tag.key, alternatives: shared.shownTexts },
        fixes,
      });
    }
  },
  resolveDeferred(fix, context) {
    const edits: TextEdit[] = [];
    if (!fix.tag || !fix.replacement) return edits;
    for (const path of context.index.filesWithTag(fix.tag)) {
      const entry = context.index.getCaption(path);
      if (!entry?.caption) continue;
      const replacementKey = tagKey(fix.replacement);
      const already = entry.caption.tags.some((t) => t.key === replacementKey);
      edits.push(...replaceInCaption(path, entry.caption, occurrencesOf(entry.caption, fix.tag), fix.replacement, already, prefersUnderscores(entry.caption)));
    }
    return edits;
  },
};
