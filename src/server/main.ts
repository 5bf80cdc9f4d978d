// The caption language server process (bundled to dist/server.js). Started by the extension's
// language client over IPC, or with `--stdio` by tests and other editors.
import { createConnection, ProposedFeatures, StreamMessageReader, type Connection } from 'vscode-languageserver/node';
import { startCaptionServer } from './captionServer';
import { createDatasetLinter } from './lintEngineAdapter';
import { BatchedStreamWriter } from './batchedStreamWriter';

const connection = process.argv.includes('--stdio') ? stdioConnection() : createConnection(ProposedFeatures.all);
// A failed promise somewhere must not take every caption's diagnostics down with the process.
process.on('unhandledRejection', (reason) => {
  connection.console.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});
startCaptionServer(connection, createDatasetLinter());

/**
 * Over stdio with our batching writer (see batchedStreamWriter.ts). What the library does for
 * `--stdio` and a reader/writer pair does not: stdout carries the protocol, so console output goes
 * to the client's log, and the process ends when its input does.
 */
function stdioConnection(): Connection {
  const created = createConnection(ProposedFeatures.all, new StreamMessageReader(process.stdin), new BatchedStreamWriter(process.stdout));
  let shutdown = false;
  created.onShutdown(() => {
    shutdown = true;
  });
  const exit = () => process.exit(shutdown ? 0 : 1);
  process.stdin.on('end', exit);
  process.stdin.on('close', exit);
  const log = (write: (text: string) => void) => (...args: unknown[]) => write(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  console.log = log((t) => created.console.log(t));
  console.info = log((t) => created.console.info(t));
  console.warn = log((t) => created.console.warn(t));
  console.error = log((t) => created.console.error(t));
  console.debug = log((t) => created.console.log(t));
  return created;
}
