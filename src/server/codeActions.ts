// Code actions for caption diagnostics, the four vscode-markdownlint offers: each fix of the
// diagnostic (a fix whose edits span several files is one WorkspaceEdit, so one undo reverts
// it), "fix all of this rule in the file", "more information" (the rule's doc), and
// `source.fixAll.embeddingStudio` (every preferred fix of the file).
import { CodeActionKind, type CodeAction, type Diagnostic, type Range, type TextEdit, type WorkspaceEdit } from 'vscode-languageserver/node';
import type { LintDiagnostic, LintFix, TextEdit as LintTextEdit } from '../lint/types';
import { showRuleDocCommand } from '../protocol/languageServerMessages';
import { sameDiagnostic, toLspDiagnostic } from './lspDiagnostics';

export const fixAllKind = `${CodeActionKind.SourceFixAll}.embeddingStudio`;

function comparePositions(a: Range['start'], b: Range['start']): number {
  return a.line - b.line || a.character - b.character;
}

/**
 * Merge edits into one WorkspaceEdit: exact duplicates are dropped (two diagnostics may offer
 * the same edit) and an edit overlapping one already taken is skipped (LSP forbids overlaps;
 * the skipped problem is still reported after the re-lint).
 */
export function mergeEdits(edits: LintTextEdit[], toUri: (path: string) => string): WorkspaceEdit {
  const byFile = new Map<string, LintTextEdit[]>();
  for (const edit of edits) {
    const list = byFile.get(edit.file) ?? [];
    list.push(edit);
    byFile.set(edit.file, list);
  }
  const changes: Record<string, TextEdit[]> = {};
  for (const [file, list] of byFile) {
    const sorted = [...list].sort((a, b) => comparePositions(a.range.start, b.range.start) || comparePositions(a.range.end, b.range.end));
    const kept: TextEdit[] = [];
    for (const edit of sorted) {
      const previous = kept[kept.length - 1];
      if (previous) {
        const same = comparePositions(previous.range.start, edit.range.start) === 0 && comparePositions(previous.range.end, edit.range.end) === 0;
        if (same && previous.newText === edit.newText) continue;
        // Touching is fine (end == start) unless both are insertions at the same point.
        const overlaps = comparePositions(edit.range.start, previous.range.end) < 0 || same;
        if (overlaps) continue;
      }
      kept.push({ range: edit.range, newText: edit.newText });
    }
    changes[toUri(file)] = kept;
  }
  return { changes };
}

function rangesIntersect(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.end) <= 0 && comparePositions(b.start, a.end) <= 0;
}

/** What an unresolved code action carries to `codeAction/resolve`. */
export interface DeferredActionData {
  deferred: LintFix;
}

/** The fix a "fix all" applies for a diagnostic: its preferred fix, else its first, if it stays in `file`. */
function singleFileFix(diagnostic: LintDiagnostic, file: string): LintFix | undefined {
  const fix = diagnostic.fixes.find((f) => f.isPreferred && f.scope !== 'dataset') ?? diagnostic.fixes.find((f) => f.scope !== 'dataset');
  return fix && fix.edits.length > 0 && fix.edits.every((e) => e.file === file) ? fix : undefined;
}

export interface CodeActionQuery {
  file: string;
  range: Range;
  /** The editor's diagnostics at the range (from the request's context). */
  contextDiagnostics: Diagnostic[];
  /** `context.only` of the request. */
  only?: string[];
}

export function codeActionsFor(query: CodeActionQuery, fileDiagnostics: LintDiagnostic[], toUri: (path: string) => string): CodeAction[] {
  const wants = (kind: string) => !query.only || query.only.some((o) => kind === o || kind.startsWith(`${o}.`));
  const actions: CodeAction[] = [];

  // Source actions only when asked for by kind (save, the Source Action menu), never in the lightbulb.
  if (query.only && wants(fixAllKind)) {
    const fixes = fileDiagnostics.filter((d) => d.fixes.some((f) => f.isPreferred)).map((d) => d.fixes.find((f) => f.isPreferred)!);
    const local = fixes.filter((f) => f.edits.length > 0 && f.edits.every((e) => e.file === query.file));
    if (local.length > 0) {
      actions.push({ title: 'Fix all caption problems in this file', kind: fixAllKind, edit: mergeEdits(local.flatMap((f) => f.edits), toUri) });
    }
  }
  if (!wants(CodeActionKind.QuickFix)) return actions;

  const targets =
    query.contextDiagnostics.length > 0
      ? fileDiagnostics.filter((d) => query.contextDiagnostics.some((c) => sameDiagnostic(c, d)))
      : fileDiagnostics.filter((d) => rangesIntersect(d.range, query.range));
  const documented = new Set<string>();
  const fixedAllOf = new Set<string>();
  for (const diagnostic of targets) {
    const lsp = toLspDiagnostic(diagnostic);
    for (const fix of diagnostic.fixes) {
      const action: CodeAction = { title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [lsp], isPreferred: fix.isPreferred };
      // A dataset-wide fix is computed when chosen (codeAction/resolve), from the files' current text.
      if (fix.deferred && fix.edits.length === 0) action.data = { deferred: fix } satisfies DeferredActionData;
      else action.edit = mergeEdits(fix.edits, toUri);
      actions.push(action);
    }
    const sameRule = fileDiagnostics.filter((d) => d.code === diagnostic.code);
    const ruleFixes = sameRule.map((d) => singleFileFix(d, query.file)).filter((f): f is LintFix => f !== undefined);
    const ruleOffersFileFix = diagnostic.fixes.some((f) => f.scope === 'file');
    if (ruleFixes.length > 1 && !ruleOffersFileFix && !fixedAllOf.has(diagnostic.code)) {
      fixedAllOf.add(diagnostic.code);
      actions.push({
        title: `Fix all ${diagnostic.code} problems in this file`,
        kind: CodeActionKind.QuickFix,
        diagnostics: sameRule.map(toLspDiagnostic),
        edit: mergeEdits(ruleFixes.flatMap((f) => f.edits), toUri),
      });
    }
    if (!documented.has(diagnostic.code)) {
      documented.add(diagnostic.code);
      actions.push({
        title: `More information about ${diagnostic.code}`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [lsp],
        command: { title: `More information about ${diagnostic.code}`, command: showRuleDocCommand, arguments: [diagnostic.code] },
      });
    }
  }
  return actions;
}
