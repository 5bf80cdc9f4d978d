// One typed accessor over the `embeddingStudio` settings section (rust-analyzer style): every
// setting is read here, with its default, so the rest of the extension never spells a key.
import * as vscode from 'vscode';
import type { CaptionServerSettings, RuleLevel } from '../protocol/languageServerMessages';

export type ExecutionProviderSetting = 'auto' | 'cpu' | 'cuda' | 'dml' | 'webgpu';
export type EmbeddingsFolderKind = 'a1111' | 'comfyui';

export const configSection = 'embeddingStudio';

export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(configSection);
  }

  get lintRules(): Record<string, RuleLevel> {
    return this.section.get<Record<string, RuleLevel>>('lint.rules', {});
  }
  get extraVagueTags(): Record<string, string[]> {
    return this.section.get<Record<string, string[]>>('lint.extraVagueTags', {});
  }
  /** The SD1.x checkpoint (`.safetensors` file or diffusers folder); empty when unset. */
  get modelPath(): string {
    return this.section.get<string>('modelPath', '');
  }
  /** The CLIP tokenizer files (a folder or file); empty: search near the model, then the vocabulary we ship. */
  get tokenizerPath(): string {
    return this.section.get<string>('tokenizerPath', '');
  }
  get executionProvider(): ExecutionProviderSetting {
    return this.section.get<ExecutionProviderSetting>('executionProvider', 'auto');
  }
  /** Where finished embeddings are copied (an A1111 `embeddings` or ComfyUI `models/embeddings` folder). */
  get embeddingsFolder(): string {
    return this.section.get<string>('embeddingsFolder', '');
  }
  get embeddingsFolderKind(): EmbeddingsFolderKind {
    return this.section.get<EmbeddingsFolderKind>('embeddingsFolderKind', 'a1111');
  }
  get captionExtension(): '.txt' | '.caption' {
    return this.section.get<'.txt' | '.caption'>('captionExtension', '.txt');
  }

  /** What the caption language server reads (it receives the raw section and re-validates it). */
  get serverSettings(): CaptionServerSettings {
    return { lint: { rules: this.lintRules, extraVagueTags: this.extraVagueTags } };
  }

  affects(event: vscode.ConfigurationChangeEvent, key?: string): boolean {
    return event.affectsConfiguration(key ? `${configSection}.${key}` : configSection);
  }
}
