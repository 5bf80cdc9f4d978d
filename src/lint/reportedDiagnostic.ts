// A diagnostic as the engine stores it: plain fields, and fixes built on first use. A full lint of
// a large dataset reports tens of thousands of problems with several fixes each, yet an editor
// asks for the fixes of a handful (code actions), so building every edit up front was most of
// the work and garbage of a cold lint. `fixes` reads like a plain array; JSON output includes it.
import type { LintDiagnostic, LintFix, Range, Severity } from './types';

/** Fixes, or a function computing them from what the rule saw when it reported the problem. */
export type FixesOrThunk = LintFix[] | (() => LintFix[]);

const noFixes: LintFix[] = [];

export class ReportedDiagnostic implements LintDiagnostic {
  private fixesOrThunk: FixesOrThunk;
  data?: Record<string, unknown>;

  constructor(
    readonly file: string,
    readonly range: Range,
    readonly severity: Severity,
    readonly code: string,
    readonly message: string,
    fixes: FixesOrThunk | undefined,
    data: Record<string, unknown> | undefined,
  ) {
    this.fixesOrThunk = fixes ?? noFixes;
    if (data) this.data = data;
  }

  get fixes(): LintFix[] {
    if (typeof this.fixesOrThunk === 'function') this.fixesOrThunk = this.fixesOrThunk();
    return this.fixesOrThunk;
  }

  /** The plain `LintDiagnostic` form (fixes computed). */
  toJSON(): LintDiagnostic {
    return plainDiagnostic(this, this.fixes);
  }
}

/** A diagnostic as plain data with these fixes, in the field order the CLI's JSON documents. */
export function plainDiagnostic(d: LintDiagnostic, fixes: LintFix[]): LintDiagnostic {
  const plain: LintDiagnostic = { file: d.file, range: d.range, severity: d.severity, code: d.code, message: d.message, fixes };
  if (d.data) plain.data = d.data;
  return plain;
}

/**
 * What an editor shows of a diagnostic (everything but the fixes), as a string: cheap to compare
 * without computing fixes.
 */
export function publishedForm(diagnostics: readonly LintDiagnostic[]): string {
  let text = '';
  for (const d of diagnostics) {
    const { start, end } = d.range;
    text += `${start.line}:${start.character}-${end.line}:${end.character}\u0000${d.severity}\u0000${d.code}\u0000${d.message}\u0000${d.data ? JSON.stringify(d.data) : ''}\u0001`;
  }
  return text;
}
