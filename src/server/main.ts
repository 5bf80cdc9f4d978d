// The caption language server process (bundled to dist/server.js). Started by the extension's
// language client over IPC, or with `--stdio` by tests and other editors.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startCaptionServer } from './captionServer';
import { createDatasetLinter } from './lintEngineAdapter';

startCaptionServer(createConnection(ProposedFeatures.all), createDatasetLinter());
