// The extension entry (bundled to dist/extension.js). Thin: starts the caption language client
// and registers the command table. No domain logic and no onnxruntime here: native work runs
// in child processes so a crash there cannot take the editor down.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { registerCommands } from './commandTable';
import { Config } from './config';
import { startCaptionClient } from './languageClient';
import { MarkdownPages } from './markdownPages';
import { activateTraining } from './training/activateTraining';

let captions: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Embedding Studio', { log: true });
  context.subscriptions.push(output);
  const config = new Config();
  try {
    captions = (await startCaptionClient(context, config, output)).client;
  } catch (error) {
    output.appendLine(`The caption language server did not start: ${error instanceof Error ? error.message : String(error)}`);
    void vscode.window.showErrorMessage('Embedding Studio: the caption language server did not start; see the "Embedding Studio" output.');
  }
  const pages = new MarkdownPages();
  context.subscriptions.push(pages.register());
  context.subscriptions.push(...registerCommands({ extension: context, config, output, captions, pages }));
  context.subscriptions.push(...activateTraining({ extension: context, config, output, captions, pages }));
}

export async function deactivate(): Promise<void> {
  await captions?.stop();
  captions = undefined;
}
