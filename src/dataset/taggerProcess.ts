// The host side of the tagger child process: forks it, validates every event, and turns one
// 'tag' request into a promise of its results. No onnxruntime here, so the extension host can
// use it. A crash of the child rejects the pending request with the exit code and its stderr
// (without the GPU driver's chatter, which says nothing about the crash).
import { fork, type ChildProcess } from 'node:child_process';
import { DriverMessageFilter } from '../protocol/driverMessages';
import { parseTaggerEvent, type TaggerCommand, type TaggerEvent } from '../protocol/taggerMessages';

export type TagRequest = Omit<Extract<TaggerCommand, { type: 'tag' }>, 'type' | 'requestId'>;

export interface TagRun {
  model: Extract<TaggerEvent, { type: 'modelLoaded' }>;
  tagged: Extract<TaggerEvent, { type: 'imageTagged' }>[];
  failed: Extract<TaggerEvent, { type: 'imageFailed' }>[];
  finished: Extract<TaggerEvent, { type: 'finished' }>;
}

export interface TaggerProcessOptions {
  /** Node options for the child, e.g. ['--import', 'tsx'] to run the TypeScript entry in tests. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

export class TaggerProcess {
  private counter = 0;
  private stderrTail = '';
  private readonly listeners = new Set<(event: TaggerEvent | { type: 'exit'; message: string }) => void>();

  private constructor(private readonly child: ChildProcess) {
    const stderr = new DriverMessageFilter({ onDriver: () => undefined, onOther: (text) => (this.stderrTail = (this.stderrTail + text).slice(-2000)) });
    child.stderr?.on('data', (chunk: Buffer) => stderr.write(chunk));
    child.stderr?.on('end', () => stderr.end());
    child.on('message', (raw) => {
      let event: TaggerEvent;
      try {
        event = parseTaggerEvent(raw);
      } catch (error) {
        event = { type: 'error', requestId: null, message: `tagger process sent an invalid message: ${(error as Error).message}` };
      }
      for (const listener of this.listeners) listener(event);
    });
    child.on('exit', (code, signal) => {
      stderr.end();
      const message = `the tagger process exited (${signal ? `signal ${signal}` : `code ${code}`})${this.stderrTail ? `: ${this.stderrTail.trim().split('\n').slice(-5).join(' | ')}` : ''}`;
      for (const listener of this.listeners) listener({ type: 'exit', message });
    });
  }

  /** Forks `workerScript` (dist/tagger.js) and waits for its 'ready'. */
  static start(workerScript: string, options: TaggerProcessOptions = {}): Promise<TaggerProcess> {
    const child = fork(workerScript, [], {
      execArgv: options.execArgv ?? [],
      env: options.env ?? process.env,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const owner = new TaggerProcess(child);
    return new Promise((resolve, reject) => {
      const listener = (event: TaggerEvent | { type: 'exit'; message: string }) => {
        owner.listeners.delete(listener);
        if (event.type === 'ready') resolve(owner);
        else reject(new Error(event.type === 'exit' || event.type === 'error' ? event.message : `tagger process: expected 'ready', got '${event.type}'`));
      };
      owner.listeners.add(listener);
      child.on('error', (error) => reject(new Error(`could not start the tagger process ${workerScript}: ${error.message}`)));
    });
  }

  /** Tags images; `onEvent` sees every event of this request (progress for a UI). Abort cancels after the current batch. */
  tag(request: TagRequest, onEvent?: (event: TaggerEvent) => void, signal?: AbortSignal): Promise<TagRun> {
    const requestId = `r${++this.counter}`;
    return new Promise((resolve, reject) => {
      const run: Partial<TagRun> & { tagged: TagRun['tagged']; failed: TagRun['failed'] } = { tagged: [], failed: [] };
      const onAbort = () => this.child.send({ type: 'cancel', requestId } satisfies TaggerCommand);
      const done = () => {
        this.listeners.delete(listener);
        signal?.removeEventListener('abort', onAbort);
      };
      const listener = (event: TaggerEvent | { type: 'exit'; message: string }) => {
        if (event.type === 'exit') return done(), reject(new Error(event.message));
        if (!('requestId' in event) || (event.requestId !== requestId && event.requestId !== null)) return;
        onEvent?.(event);
        if (event.type === 'modelLoaded') run.model = event;
        else if (event.type === 'imageTagged') run.tagged.push(event);
        else if (event.type === 'imageFailed') run.failed.push(event);
        else if (event.type === 'error') done(), reject(new Error(event.message));
        else if (event.type === 'finished') done(), resolve({ ...run, finished: event } as TagRun);
      };
      this.listeners.add(listener);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.child.send({ type: 'tag', requestId, ...request } satisfies TaggerCommand);
      if (signal?.aborted) onAbort();
    });
  }

  /** Asks the child to release its session and exit; kills it if it does not within `graceMs`. */
  async dispose(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.send({ type: 'shutdown' } satisfies TaggerCommand);
    const timer = setTimeout(() => this.child.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
