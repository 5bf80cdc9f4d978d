// The caption language server process (bundled to dist/server.js). Started by the extension's
// language client over IPC, or with `--stdio` by tests and other editors.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startCaptionServer } from './captionServer';
import { createDatasetLinter } from './lintEngineAdapter';

const connection = createConnection(ProposedFeatures.all);
// A failed promise somewhere must not take every caption's diagnostics down with the process.
process.on('unhandledRejection', (reason) => {
  connection.console.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});
startCaptionServer(connection, createDatasetLinter());
