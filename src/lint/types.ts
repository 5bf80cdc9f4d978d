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
  /** What the fix covers: this problem, every such problem in the file, or in the whole dataset. */
  scope?: 'problem' | 'file' | 'dataset';
  /**
   * Dataset-wide fixes are computed on demand (they touch many files and must use their current
   * text): `edits` is empty until the engine's `resolveFix` fills it from this descriptor.
   */
  deferred?: DeferredFix;
}

/** Plain-data description of a dataset-wide fix, resolved by the lint engine when applied. */
export interface DeferredFix {
  rule: string;
  action: string;
  /** Tag key the fix concerns, when it concerns one. */
  tag?: string;
  replacement?: string;
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
