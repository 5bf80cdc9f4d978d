// A real LSP client for tests: spawns the caption language server as its own process (from
// source through tsx, `--stdio`) and talks JSON-RPC to it. Diagnostics are collected as they
// are published; waits resolve on the notification itself, never on a timer, and each has a
// bound (test/support/timeLimits): one that runs out, or a server that exits meanwhile, fails
// with what was awaited, what was last seen, and the server's log.
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
import { timeLimits, withinTime } from '../support/timeLimits';

export const repoRoot = resolve(__dirname, '../..');

export const fileUri = (path: string) => pathToFileURL(path).href;

interface Waiter {
  uri: string;
  test: (params: PublishDiagnosticsParams) => boolean;
  resolve: (params: PublishDiagnosticsParams) => void;
}

/** The last lines of a log, for failure messages. */
const tail = (text: string, lines = 30) => text.split('\n').slice(-lines).join('\n');

export class LanguageServerClient {
  readonly connection: ProtocolConnection;
  readonly latest = new Map<string, PublishDiagnosticsParams>();
  readonly statuses: ServerStatus[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly readyWaiters: Array<(s: ServerStatus) => void> = [];
  private stderr = '';
  /** Settles when the server process exits (with how it ended); every wait races it. */
  private readonly exited: Promise<string>;

  private constructor(private readonly child: ChildProcess, transport: 'stdio' | 'ipc') {
    this.connection =
      transport === 'ipc'
        ? createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child))
        : createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit(signal ? `signal ${signal}` : `code ${code}`)));
    // Requests get the same bound as the waits below (a server that stops answering fails the test).
    const send = this.connection.sendRequest.bind(this.connection) as (...args: unknown[]) => Promise<unknown>;
    (this.connection as { sendRequest: unknown }).sendRequest = (type: string | { method: string }, ...params: unknown[]) =>
      this.bounded(send(type, ...params), timeLimits.event, `the server's answer to ${typeof type === 'string' ? type : type.method}`);
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

  /**
   * `promise` within `ms`; rejects sooner if the server exits. The message names the wait, adds
   * `detail`, and ends with the server's log.
   */
  private bounded<T>(promise: Promise<T>, ms: number, what: string, detail?: () => string): Promise<T> {
    const log = () => [detail?.(), `server log (last lines):\n${tail(this.stderr)}`].filter(Boolean).join('\n');
    const died = this.exited.then((how): never => {
      throw new Error(`the language server exited (${how}) while waiting for ${what}\n${log()}`);
    });
    died.catch(() => undefined);
    return withinTime(Promise.race([promise, died]), ms, what, log);
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
  async initialize(folder: string, options: Partial<CaptionServerInitializationOptions> = {}, timeoutMs: number = timeLimits.start): Promise<ServerStatus> {
    const ready = this.bounded(new Promise<ServerStatus>((r) => this.readyWaiters.push(r)), timeoutMs, `the server's first index of ${folder} (a serverStatus that is not 'indexing')`, () =>
      `statuses so far: ${JSON.stringify(this.statuses)}`,
    );
    ready.catch(() => undefined); // awaited below, after the requests
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

  /**
   * Resolves with the next (or current) diagnostics of `uri` that satisfy `test`; fails after
   * `timeoutMs` naming `what` (default: the uri and the predicate's source) and the last ones seen.
   */
  diagnostics(
    uri: string,
    test: (diagnostics: Diagnostic[], params: PublishDiagnosticsParams) => boolean = () => true,
    timeoutMs: number = timeLimits.event,
    what = `diagnostics of ${uri} satisfying ${test.toString().replace(/\s+/g, ' ').slice(0, 200)}`,
  ): Promise<Diagnostic[]> {
    const current = this.latest.get(uri);
    if (current && test(current.diagnostics, current)) return Promise.resolve(current.diagnostics);
    const waiter: Waiter = { uri, test: (p) => test(p.diagnostics, p), resolve: () => undefined };
    const published = new Promise<Diagnostic[]>((resolveWait) => {
      waiter.resolve = (p) => resolveWait(p.diagnostics);
      this.waiters.push(waiter);
    });
    const last = () => {
      const seen = this.latest.get(uri);
      return seen ? `last published for it (version ${seen.version ?? 'none'}): ${JSON.stringify(seen.diagnostics.map((d) => `${d.code}: ${d.message}`))}` : 'nothing was published for it';
    };
    return this.bounded(published, timeoutMs, what, last).finally(() => {
      const index = this.waiters.indexOf(waiter);
      if (index >= 0) this.waiters.splice(index, 1);
    });
  }

  /** Resolves with the diagnostics published for `uri` at document version `version`. */
  diagnosticsAtVersion(uri: string, version: number, timeoutMs: number = timeLimits.event): Promise<Diagnostic[]> {
    return this.diagnostics(uri, (_d, p) => p.version === version, timeoutMs, `diagnostics of ${uri} at document version ${version}`);
  }

  /** Shuts the server down; one that has not exited within the bound is killed, and the failure says so. */
  async stop(timeoutMs: number = timeLimits.event): Promise<void> {
    try {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // the server may already be gone
    }
    try {
      await withinTime(this.exited, timeoutMs, `the language server (pid ${this.child.pid}) to exit after shutdown`);
    } catch (error) {
      this.child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}; it was killed\nserver log (last lines):\n${tail(this.stderr)}`);
    } finally {
      this.connection.dispose();
    }
  }

  get log(): string {
    return this.stderr;
  }
}
