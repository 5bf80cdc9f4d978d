// Every command of the extension in one table (rust-analyzer style): each entry is a factory
// over the shared context, registered once in activate(). To add a command: one entry here
// (plus its `contributes.commands` line in package.json). `requiresTrust` commands (anything
// that loads models or runs native code) refuse in Restricted Mode and say why.
import { fork } from 'node:child_process';
import { join } from 'node:path';
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
  {
    // The CLI does the work (download, unzip, copy) in a child process, as for every native-side task.
    id: 'embeddingStudio.installCudaProvider',
    title: 'Install CUDA Provider',
    requiresTrust: true,
    create: (ctx) => async () => {
      if (`${process.platform}-${process.arch}` !== 'linux-x64') {
        void vscode.window.showInformationMessage(
          process.platform === 'win32'
            ? 'Embedding Studio: on Windows the bundled DirectML provider runs on NVIDIA, AMD and Intel GPUs — set embeddingStudio.executionProvider to "dml" or "auto".'
            : `Embedding Studio: ONNX Runtime's CUDA provider package is for Linux x64 only (this is ${process.platform}-${process.arch}); "auto" uses WebGPU where the GPU supports it.`,
        );
        return;
      }
      const cli = join(ctx.extension.extensionPath, 'dist', 'cli.js');
      ctx.output.show(true);
      const code = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Embedding Studio: installing the CUDA provider' }, (progress) =>
        new Promise<number | null>((resolve, reject) => {
          const child = fork(cli, ['install-cuda'], { execArgv: [], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
          const show = (chunk: Buffer) => {
            for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
              ctx.output.info(`install-cuda: ${line}`);
              progress.report({ message: line.trim() });
            }
          };
          child.stdout?.on('data', show);
          child.stderr?.on('data', show);
          child.on('error', reject);
          child.on('exit', resolve);
        }),
      );
      if (code === 0) void vscode.window.showInformationMessage('Embedding Studio: the CUDA provider is installed. Training with provider "cuda" or "auto" uses it (it needs the NVIDIA driver, CUDA 12 and cuDNN 9). Run this again after an extension update.');
      else void vscode.window.showErrorMessage('Embedding Studio: the CUDA provider could not be installed — see the "Embedding Studio" output for why.', 'Show Output').then((c) => c && ctx.output.show());
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
