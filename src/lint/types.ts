// The lint contract shared by the engine, the language server and the CLI. Plain data only:
// rules never touch an editor (fixes are edits the caller applies).

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface Position {
  /** Zero-based line. */
  line: number;
  /** Zero-based UTF-16 code unit offset in the line (LSP semantics). */
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** Replace `range` of `file` with `newText`; an absolute path. */
export interface TextEdit {
  file: string;
  range: Range;
  newText: string;
}

export interface LintFix {
  title: string;
  edits: TextEdit[];
  /** True when the fix is safe to apply unattended (editor `source.fixAll`). */
  isPreferred?: boolean;
}

export interface LintDiagnostic {
  /** Absolute path of the file the problem is reported on (a caption, or an image without one). */
  file: string;
  range: Range;
  severity: Severity;
  /** Rule id, e.g. `vague-tag`. */
  code: string;
  message: string;
  fixes: LintFix[];
  /** Optional structured data the server uses (e.g. the tag a hover/fix concerns). */
  data?: Record<string, unknown>;
}
