// Starts the caption language server (dist/server.js, a separate Node process over IPC) and
// connects it to the editor. Captions are `.txt`/`.caption` files; the server only reports on
// those that belong to a dataset (pair with an image), so other text files stay quiet.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { serverStatusNotification, type CaptionServerInitializationOptions } from '../protocol/languageServerMessages';
import type { Config } from './config';

export const captionDocumentSelector = [
  { scheme: 'file', pattern: '**/*.txt' },
  { scheme: 'file', pattern: '**/*.caption' },
];

/** Files whose creation, change or deletion changes a dataset's diagnostics. */
const watchedFiles = '**/*.{png,jpg,jpeg,webp,bmp,gif,txt,caption,json}';

export interface CaptionClient {
  client: LanguageClient;
  /** The server's last status line (indexing / ready / failed). */
  status: vscode.StatusBarItem;
}

export async function startCaptionClient(context: vscode.ExtensionContext, config: Config, output: vscode.LogOutputChannel): Promise<CaptionClient> {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  // The tokenizer paths too, so the first lint already counts caption tokens exactly.
  const initializationOptions: CaptionServerInitializationOptions = {
    settings: { ...config.serverSettings, tokenizerPath: config.tokenizerPath, modelPath: config.modelPath },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: captionDocumentSelector,
    initializationOptions,
    outputChannel: output,
    synchronize: {
      configurationSection: 'embeddingStudio',
      fileEvents: vscode.workspace.createFileSystemWatcher(watchedFiles),
    },
  };
  const client = new LanguageClient('embeddingStudio.captions', 'Embedding Studio Captions', serverOptions, clientOptions);

  const status = vscode.window.createStatusBarItem('embeddingStudio.captions', vscode.StatusBarAlignment.Left, 10);
  status.name = 'Embedding Studio Captions';
  status.text = '$(sync~spin) Captions';
  status.command = 'embeddingStudio.showDatasetStatistics';
  context.subscriptions.push(status);
  client.onNotification(serverStatusNotification, (s) => {
    status.text = s.state === 'indexing' ? '$(sync~spin) Captions' : s.state === 'ready' ? '$(check) Captions' : '$(error) Captions';
    status.tooltip = s.message;
    status.show();
    if (s.state === 'failed') output.appendLine(s.message);
  });

  await client.start();
  return { client, status };
}
