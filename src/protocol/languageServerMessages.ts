// Typed custom messages between the extension's language client and the caption language
// server (beyond standard LSP). Each is a named type; the comment says who sends it to whom.
// Plain data only: this file is imported by both sides and must not import `vscode`.
import { RequestType, RequestType0, NotificationType } from 'vscode-languageserver-protocol';
import type { Severity } from '../lint/types';

/** A rule's level in `embeddingStudio.lint.rules`: a severity, or `off`. */
export type RuleLevel = Severity | 'off';

/** The settings the server reads (section `embeddingStudio` of the user/workspace settings). */
export interface CaptionServerSettings {
  lint: {
    /** Per-rule override of the default severity, or `off`. */
    rules: Record<string, RuleLevel>;
    /** User vague tags: general tag → specific alternatives. */
    extraVagueTags: Record<string, string[]>;
  };
  /**
   * Where the CLIP tokenizer is (exact caption-length counts); empty or absent: beside the model,
   * then the Hugging Face cache. In Restricted Mode VS Code leaves out workspace values of these
   * two (package.json `restrictedConfigurations`), so the server never reads a path that only an
   * untrusted workspace named.
   */
  tokenizerPath?: string;
  modelPath?: string;
}

/** Sent once by the client as `initializationOptions` of `initialize`. */
export interface CaptionServerInitializationOptions {
  settings: CaptionServerSettings;
  /** Milliseconds to wait after a keystroke before re-linting (0 in tests: never sleep). */
  debounceMs?: number;
}

export interface RuleDoc {
  id: string;
  /** One line. */
  summary: string;
  /** The full documentation, markdown. */
  markdown: string;
  defaultSeverity: Severity;
}

/** Client → server: the documentation of one rule (for `embeddingStudio.showRuleDoc`). Null when unknown. */
export const ruleDocRequest = new RequestType<{ id: string }, RuleDoc | null, void>('embeddingStudio/ruleDoc');

export interface DatasetStatistics {
  folder: string;
  images: number;
  captions: number;
  imagesWithoutCaption: number;
  /** Problems by rule id, most frequent first. */
  problemsByRule: Array<{ rule: string; count: number }>;
  /** The most used tags, most frequent first (at most 30). */
  topTags: Array<{ tag: string; count: number }>;
}

/** Client → server: a summary of every indexed dataset (for `embeddingStudio.showDatasetStatistics`). */
export const datasetStatisticsRequest = new RequestType0<DatasetStatistics[], void>('embeddingStudio/datasetStatistics');

export interface RelintResult {
  files: number;
  diagnostics: number;
  milliseconds: number;
}

/** Client → server: re-read every workspace folder from disk and re-publish all diagnostics. */
export const relintDatasetRequest = new RequestType0<RelintResult, void>('embeddingStudio/relintDataset');

export interface ServerStatus {
  state: 'indexing' | 'ready' | 'failed';
  /** Human-readable: what was indexed, or why it failed and what to do. */
  message: string;
}

/** Server → client: indexing started/finished/failed (shown in the status bar; tests wait on `ready`). */
export const serverStatusNotification = new NotificationType<ServerStatus>('embeddingStudio/serverStatus');

/** The command id the "More information" code action runs (argument: the rule id). */
export const showRuleDocCommand = 'embeddingStudio.showRuleDoc';
