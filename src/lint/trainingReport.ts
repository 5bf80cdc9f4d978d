// What a training run says about its dataset before it starts, as the demo does: the caption
// linter's errors and warnings (an image without a caption, a caption past 75 tokens, vague
// tags…), a few of them spelled out and the way to see all. Files training skips are reported
// by the trainer itself, with the same verdicts; they are left out here.
import { relative, sep } from 'node:path';
import type { DatasetIndex } from '../dataset/datasetIndex';
import { lintDataset } from './engine';
import type { LintDiagnostic } from './types';

export interface TrainingDatasetNote {
  level: 'info' | 'warning';
  message: string;
}

export interface TrainingReportOptions {
  /** Exact CLIP token counts (the run's tokenizer); estimates otherwise. */
  countTokens?: (text: string) => number;
  /** How many problems are spelled out (default 12). */
  limit?: number;
}

export function trainingDatasetReport(index: DatasetIndex, options: TrainingReportOptions = {}): TrainingDatasetNote[] {
  const limit = options.limit ?? 12;
  const all = lintDataset(index, options.countTokens ? { countTokens: options.countTokens } : {});
  const fileVerdict = (d: LintDiagnostic) => d.code === 'unreadable-file' && (index.getCaption(d.file) !== undefined || index.getImage(d.file) !== undefined);
  const shown = all.filter((d) => !fileVerdict(d));
  const counts = { error: 0, warning: 0, information: 0, hint: 0 };
  for (const d of shown) counts[d.severity]++;
  const serious = shown.filter((d) => d.severity === 'error' || d.severity === 'warning');
  const rel = (file: string) => {
    const r = relative(index.root, file);
    return r === '' ? '.' : r.split(sep).join('/');
  };
  const notes: TrainingDatasetNote[] = [
    {
      level: serious.length > 0 ? 'warning' : 'info',
      message:
        `dataset ${index.root}: ${index.imageCount} images, ${index.captionCount} captions — caption lint: ${counts.error} errors, ${counts.warning} warnings, ${counts.information + counts.hint} notes` +
        (serious.length > 0 ? `; \`embedding-studio lint ${index.root}\` lists them all, with fixes` : ''),
    },
  ];
  for (const d of serious.slice(0, limit)) notes.push({ level: 'warning', message: `${rel(d.file)}:${d.range.start.line + 1}:${d.range.start.character + 1} ${d.severity} ${d.code} ${d.message}` });
  if (serious.length > limit) notes.push({ level: 'warning', message: `… and ${serious.length - limit} more errors and warnings` });
  return notes;
}
