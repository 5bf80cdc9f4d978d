// The trainer runs in a child process of the extension host so that a native crash in ONNX
// Runtime, or a long session.run(), never takes the editor down. This module owns one such
// process: it forks the bundled worker, validates every message it sends, forwards commands,
// keeps the worker's stderr as a log, and reports a crash (exit without 'finished') with it.
// No `vscode` import: the wiring is tested against the real worker without an editor.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { runFolderFiles } from '../protocol/runFolderReplay';
import { parseTrainerEvent, type TrainerCommand, type TrainerEvent } from '../protocol/trainerMessages';

export interface TrainerProcessOptions {
  /** The bundled worker, `dist/trainer.js`. */
  workerPath: string;
  /** The run configuration file (`run-config.json`) the worker trains from. */
  configPath: string;
  /** Folder for the worker's log (`trainer.log`); normally the run folder. */
  logDir: string;
  resume?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Node flags for the worker; none by default. */
  execArgv?: string[];
}

export type TrainerExit =
  | { kind: 'finished'; event: Extract<TrainerEvent, { type: 'finished' }> }
  | { kind: 'crashed'; code: number | null; signal: NodeJS.Signals | null; logPath: string; lastError?: string };

export interface TrainerProcessEvents {
  event: [TrainerEvent];
  exit: [TrainerExit];
  /** A message from the worker that failed validation: reported, never acted on. */
  invalid: [string];
}

export class TrainerProcess extends EventEmitter<TrainerProcessEvents> {
  readonly logPath: string;
  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private finished?: Extract<TrainerEvent, { type: 'finished' }>;
  private lastError?: string;
  private exited = false;

  constructor(options: TrainerProcessOptions) {
    super();
    mkdirSync(options.logDir, { recursive: true });
    this.logPath = join(options.logDir, runFolderFiles.trainerLog);
    this.log = createWriteStream(this.logPath, { flags: 'a' });
    // the log path goes along: should this host die, the worker writes its last words there itself
    const args = ['--config', options.configPath, '--ipc', '--log', this.logPath];
    if (options.resume) args.push('--resume');
    this.child = fork(options.workerPath, args, {
      // not the host's own Node flags (an inspector port of a debugged extension host would clash)
      execArgv: options.execArgv ?? [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
      serialization: 'json',
    });
    this.child.stdout?.on('data', (chunk: Buffer) => this.log.write(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.log.write(chunk));
    this.child.on('message', (raw) => this.receive(raw));
    this.child.on('error', (error) => {
      this.lastError = error.message;
      this.log.write(`[host] ${error.message}\n`);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.log.end();
      if (this.finished) this.emit('exit', { kind: 'finished', event: this.finished });
      else this.emit('exit', { kind: 'crashed', code, signal, logPath: this.logPath, lastError: this.lastError });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  send(command: TrainerCommand): boolean {
    if (this.exited || !this.child.connected) return false;
    this.child.send(command);
    return true;
  }

  /** Asks the worker to stop (it saves first); kills it if it has not exited after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.kill(), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Ends the process at once (editor shutdown, or a hung worker). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private receive(raw: unknown): void {
    let event: TrainerEvent;
    try {
      event = parseTrainerEvent(raw);
    } catch (error) {
      const text = (error as Error).message;
      this.log.write(`[host] rejected a message from the trainer: ${text}\n`);
      this.emit('invalid', text);
      return;
    }
    if (event.type === 'finished') this.finished = event;
    if (event.type === 'error') this.lastError = event.message;
    this.emit('event', event);
  }
}
