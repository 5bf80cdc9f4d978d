// Turning tagger results into caption files. The plan is data (`{file, oldText, newText}`), so
// the extension applies a whole dataset as one WorkspaceEdit (one undo), the CLI writes it with
// applyCaptionEdits, and "review first" shows captionDiff before anything is written.
// Captions are UTF-8 without BOM, one line, tags separated by `, `.
import { promises as fs } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { writeFileAtomic } from './atomicWrite';
import { parseCaption, tagKey } from './caption';
import { readCaptionFile } from './captionDecode';
import { refusedLinkIn } from './datasetLinks';

/** 'new': write captions for images without one (and replace existing ones only if asked); 'append': add missing tags to existing captions. */
export type CaptionWriteMode = 'new' | 'append';

export type CaptionExtension = '.txt' | '.caption';

export interface CaptionEdit {
  image: string;
  file: string;
  /** Current text, null when the caption file does not exist yet. */
  oldText: string | null;
  newText: string;
  /** Tags this edit adds (all of them for a new caption). */
  addedTags: string[];
}

export interface CaptionPlan {
  edits: CaptionEdit[];
  /** Images left as they are, with why. */
  unchanged: { image: string; reason: string }[];
}

export interface CaptionPlanOptions {
  mode: CaptionWriteMode;
  extension?: CaptionExtension;
  /** In 'new' mode, replace captions that already exist (otherwise they are kept). */
  replaceExisting?: boolean;
}

export function captionFileFor(image: string, extension: CaptionExtension = '.txt'): string {
  return join(dirname(image), basename(image, extname(image)) + extension);
}

/** One line, `, ` separated: the layout A1111 and kohya read. */
export function captionText(tags: readonly string[]): string {
  return tags.map((t) => t.replace(/[\r\n,]+/g, ' ').trim()).filter((t) => t !== '').join(', ');
}

export async function planCaptionEdits(results: readonly { image: string; tags: readonly string[] }[], options: CaptionPlanOptions): Promise<CaptionPlan> {
  const plan: CaptionPlan = { edits: [], unchanged: [] };
  for (const { image, tags } of results) {
    const file = captionFileFor(image, options.extension);
    const old = await readExisting(file);
    if (old.problem) {
      plan.unchanged.push({ image, reason: old.problem });
      continue;
    }
    const oldText = old.text;
    if (oldText === null || (options.mode === 'new' && options.replaceExisting)) {
      const newText = captionText(tags);
      if (newText === oldText) plan.unchanged.push({ image, reason: 'caption already says this' });
      else plan.edits.push({ image, file, oldText, newText, addedTags: [...tags] });
    } else if (options.mode === 'new') {
      plan.unchanged.push({ image, reason: `${basename(file)} exists (kept; append or replace to change it)` });
    } else {
      const have = new Set(parseCaption(oldText).tags.map((t) => t.key));
      const missing = tags.filter((t) => {
        const key = tagKey(t);
        if (have.has(key)) return false;
        have.add(key);
        return true;
      });
      if (missing.length === 0) {
        plan.unchanged.push({ image, reason: 'no tags missing' });
        continue;
      }
      // The user's text stays byte for byte; only `, tag, tag` goes after its last tag.
      const ending = /\r?\n$/.exec(oldText)?.[0] ?? '';
      const body = oldText.slice(0, oldText.length - ending.length).replace(/[\s,]+$/, '');
      const newText = (body === '' ? captionText(missing) : `${body}, ${captionText(missing)}`) + ending;
      plan.edits.push({ image, file, oldText, newText, addedTags: missing });
    }
  }
  return plan;
}

async function readExisting(file: string): Promise<{ text: string | null; problem?: string }> {
  // a caption that is a link looping or leaving its folder is neither read nor written through
  const refused = refusedLinkIn(dirname(file), file);
  if (refused) return { text: null, problem: `${refused} (left unchanged)` };
  const read = await readCaptionFile(file);
  if (read.ok) return { text: read.text };
  return 'missing' in read ? { text: null } : { text: null, problem: `${read.problem} (left unchanged)` };
}

/** A unified-style diff of the plan, for review before writing. */
export function captionDiff(edits: readonly CaptionEdit[]): string {
  const lines: string[] = [];
  for (const edit of edits) {
    lines.push(`--- ${edit.oldText === null ? '/dev/null' : edit.file}`, `+++ ${edit.file}`);
    if (edit.oldText !== null) lines.push(`-${edit.oldText.replace(/\r?\n$/, '')}`);
    lines.push(`+${edit.newText.replace(/\r?\n$/, '')}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

export interface ApplyReport {
  written: string[];
  /** Files changed on disk since the plan was made: not touched, so nothing is lost. */
  conflicts: string[];
}

/** Writes each edit atomically, UTF-8 without BOM, unless the file changed since it was planned. */
export async function applyCaptionEdits(edits: readonly CaptionEdit[]): Promise<ApplyReport> {
  const report: ApplyReport = { written: [], conflicts: [] };
  for (const edit of edits) {
    const current = await readExisting(edit.file);
    if (current.problem || current.text !== edit.oldText) {
      report.conflicts.push(edit.file);
      continue;
    }
    await writeFileAtomic(edit.file, Buffer.from(edit.newText, 'utf8'));
    report.written.push(edit.file);
  }
  return report;
}
