// A real LSP client for tests: spawns the caption language server as its own process (from
// source through tsx, `--stdio`) and talks JSON-RPC to it. Diagnostics are collected as they
// are published; waits resolve on the notification itself, never on a timer.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  IPCMessageReader,
  IPCMessageWriter,
  StreamMessageReader,
  StreamMessageWriter,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  ExitNotification,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type Diagnostic,
} from 'vscode-languageserver-protocol/node';
import { serverStatusNotification, type CaptionServerInitializationOptions, type ServerStatus } from '../../src/protocol/languageServerMessages';

export const repoRoot = resolve(__dirname, '../..');

export const fileUri = (path: string) => pathToFileURL(path).href;

interface Waiter {
  uri: string;
  test: (params: PublishDiagnosticsParams) => boolean;
  resolve: (params: PublishDiagnosticsParams) => void;
}

export class LanguageServerClient {
  readonly connection: ProtocolConnection;
  readonly latest = new Map<string, PublishDiagnosticsParams>();
  readonly statuses: ServerStatus[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly readyWaiters: Array<(s: ServerStatus) => void> = [];
  private stderr = '';

  private constructor(private readonly child: ChildProcess, transport: 'stdio' | 'ipc') {
    this.connection =
      transport === 'ipc'
        ? createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child))
        : createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.latest.set(params.uri, params);
      for (const waiter of [...this.waiters]) {
        if (waiter.uri === params.uri && waiter.test(params)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(params);
        }
      }
    });
    this.connection.onNotification(serverStatusNotification, (status) => {
      this.statuses.push(status);
      if (status.state !== 'indexing') for (const r of this.readyWaiters.splice(0)) r(status);
    });
    this.connection.listen();
  }

  /** The server's process id (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** `ipc` is how the extension's language client runs the server; `stdio` is how other editors do. */
  static start(transport: 'stdio' | 'ipc' = 'stdio'): LanguageServerClient {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(repoRoot, 'src/server/main.ts'), transport === 'ipc' ? '--node-ipc' : '--stdio'], {
      cwd: repoRoot,
      stdio: transport === 'ipc' ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
    });
    return new LanguageServerClient(child, transport);
  }

  /** Initializes with one workspace folder; resolves when the server reports the first index ready. */
  async initialize(folder: string, options: Partial<CaptionServerInitializationOptions> = {}): Promise<ServerStatus> {
    const ready = new Promise<ServerStatus>((r) => this.readyWaiters.push(r));
    const initializationOptions: CaptionServerInitializationOptions = {
      settings: { lint: { rules: {}, extraVagueTags: {} } },
      debounceMs: 0,
      ...options,
    };
    await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: fileUri(folder),
      workspaceFolders: [{ uri: fileUri(folder), name: 'dataset' }],
      capabilities: {
        workspace: { workspaceEdit: { documentChanges: true }, didChangeWatchedFiles: { dynamicRegistration: false } },
        textDocument: { publishDiagnostics: { versionSupport: true }, codeAction: { resolveSupport: { properties: ['edit'] } } },
      },
      initializationOptions,
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    const status = await ready;
    if (status.state === 'failed') throw new Error(`server failed: ${status.message}\n${this.stderr}`);
    return status;
  }

  /** Resolves with the next (or current) diagnostics of `uri` that satisfy `test`. */
  diagnostics(uri: string, test: (diagnostics: Diagnostic[], params: PublishDiagnosticsParams) => boolean = () => true): Promise<Diagnostic[]> {
    const current = this.latest.get(uri);
    if (current && test(current.diagnostics, current)) return Promise.resolve(current.diagnostics);
    return new Promise((resolveWait) =>
      this.waiters.push({ uri, test: (p) => test(p.diagnostics, p), resolve: (p) => resolveWait(p.diagnostics) }),
    );
  }

  /** Resolves with the diagnostics published for `uri` at document version `version`. */
  diagnosticsAtVersion(uri: string, version: number): Promise<Diagnostic[]> {
    return this.diagnostics(uri, (_d, p) => p.version === version);
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // the server may already be gone
    }
    const exited = this.child.exitCode !== null ? Promise.resolve() : new Promise<void>((r) => this.child.once('exit', () => r()));
    await exited;
    this.connection.dispose();
  }

  get log(): string {
    return this.stderr;
  }
}
