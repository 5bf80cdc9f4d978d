// LintDiagnostic (the engine's plain data) -> LSP Diagnostic, and back: a code-action request
// carries the editor's copy of a diagnostic, which is matched to the engine's to find its fixes.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { LintDiagnostic, Severity } from '../lint/types';

export const diagnosticSource = 'embedding-studio';

const lspSeverity: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspDiagnostic(diagnostic: LintDiagnostic): Diagnostic {
  return {
    range: diagnostic.range,
    severity: lspSeverity[diagnostic.severity],
    code: diagnostic.code,
    source: diagnosticSource,
    message: diagnostic.message,
  };
}

/** Whether the editor's diagnostic is this engine diagnostic (same rule, range and message). */
export function sameDiagnostic(editor: Diagnostic, engine: LintDiagnostic): boolean {
  return (
    editor.code === engine.code &&
    editor.message === engine.message &&
    editor.range.start.line === engine.range.start.line &&
    editor.range.start.character === engine.range.start.character &&
    editor.range.end.line === engine.range.end.line &&
    editor.range.end.character === engine.range.end.character
  );
}
