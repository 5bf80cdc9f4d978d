// Every command of the extension in one table (rust-analyzer style): each entry is a factory
// over the shared context, registered once in activate(). To add a command: one entry here
// (plus its `contributes.commands` line in package.json). `requiresTrust` commands (anything
// that loads models or runs native code) refuse in Restricted Mode and say why.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  datasetStatisticsRequest,
  relintDatasetRequest,
  ruleDocRequest,
  showRuleDocCommand,
  type DatasetStatistics,
} from '../protocol/languageServerMessages';
import type { Config } from './config';
import { datasetStatisticsMarkdown } from './datasetStatisticsMarkdown';
import type { MarkdownPages } from './markdownPages';

export interface CommandContext {
  extension: vscode.ExtensionContext;
  config: Config;
  output: vscode.LogOutputChannel;
  /** The caption language client; undefined when the server failed to start. */
  captions: LanguageClient | undefined;
  pages: MarkdownPages;
}

export interface CommandEntry {
  id: string;
  /** Title for messages (the palette title lives in package.json). */
  title: string;
  requiresTrust?: boolean;
  create(ctx: CommandContext): (...args: unknown[]) => unknown;
}

function captionServer(ctx: CommandContext, title: string): LanguageClient | undefined {
  if (!ctx.captions) {
    void vscode.window.showErrorMessage(`Embedding Studio: ${title} needs the caption language server, which did not start — see the "Embedding Studio" output.`);
  }
  return ctx.captions;
}

export const commandTable: CommandEntry[] = [
  {
    id: 'embeddingStudio.lintDataset',
    title: 'Lint Dataset',
    create: (ctx) => async () => {
      const client = captionServer(ctx, 'Lint Dataset');
      if (!client) return;
      const result = await client.sendRequest(relintDatasetRequest);
      void vscode.window.showInformationMessage(
        `Embedding Studio: ${result.diagnostics} caption problem(s) in ${result.files} file(s) (${result.milliseconds} ms).`,
      );
    },
  },
  {
    id: showRuleDocCommand,
    title: 'Show Rule Documentation',
    create: (ctx) => async (ruleId?: unknown) => {
      const client = captionServer(ctx, 'Show Rule Documentation');
      if (!client) return;
      let id = typeof ruleId === 'string' ? ruleId : undefined;
      if (!id) {
        const rules = Object.keys(
          (ctx.extension.extension.packageJSON?.contributes?.configuration?.properties?.['embeddingStudio.lint.rules']?.properties as object | undefined) ?? {},
        );
        id = await vscode.window.showQuickPick(rules, { placeHolder: 'Which caption rule?' });
        if (!id) return;
      }
      const doc = await client.sendRequest(ruleDocRequest, { id });
      if (!doc) {
        void vscode.window.showWarningMessage(`Embedding Studio: there is no caption rule '${id}'.`);
        return;
      }
      await ctx.pages.show(`Rule ${doc.id}`, `# ${doc.id}\n\n*Default severity: ${doc.defaultSeverity}. Change it with the \`embeddingStudio.lint.rules\` setting.*\n\n${doc.markdown}\n`);
    },
  },
  {
    id: 'embeddingStudio.showDatasetStatistics',
    title: 'Show Dataset Statistics',
    create: (ctx) => async () => {
      const client = captionServer(ctx, 'Show Dataset Statistics');
      if (!client) return;
      const statistics: DatasetStatistics[] = await client.sendRequest(datasetStatisticsRequest);
      await ctx.pages.show('Dataset statistics', datasetStatisticsMarkdown(statistics));
    },
  },
];

export function registerCommands(ctx: CommandContext, table: CommandEntry[] = commandTable): vscode.Disposable[] {
  return table.map((entry) => {
    const handler = entry.create(ctx);
    return vscode.commands.registerCommand(entry.id, async (...args: unknown[]) => {
      if (entry.requiresTrust && !vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(
          `Embedding Studio: ${entry.title} is disabled in Restricted Mode because it loads model files and runs native code. Trust this folder (Manage Workspace Trust) to enable it; caption linting works either way.`,
        );
        return;
      }
      try {
        return await handler(...args);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        ctx.output.appendLine(`${entry.id}: ${error instanceof Error && error.stack ? error.stack : message}`);
        void vscode.window.showErrorMessage(`Embedding Studio: ${entry.title} failed: ${message}`);
      }
    });
  });
}
