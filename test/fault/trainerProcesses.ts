// The trainer as separate processes, for kill tests: the bundled worker run directly (JSON lines
// on stdout, as the CLI's --json prints them), or under a stand-in extension host that forks it
// with IPC. Every wait is bounded; every event is validated as the host validates it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrainerEvent, type TrainerEvent } from '../../src/protocol/trainerMessages';

export const repo = join(__dirname, '../..');
/** The shipped worker bundle (`npm test` builds it first). */
export const workerBundle = join(repo, 'dist', 'trainer.js');
export const workerBundleMissing = existsSync(workerBundle) ? false : `${workerBundle} is missing: run \`npm run build\` first`;

export interface TrainerProcessRun {
  child: ChildProcess;
  /** The pid of the process that trains (the worker: under a host, not the host's). */
  trainerPid: Promise<number>;
  events: TrainerEvent[];
  /** Resolves when the process exits; rejects (and kills it) after `timeoutMs`. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves at the first event (past or future) matching; rejects on exit first or after `timeoutMs`. */
  waitFor(match: (event: TrainerEvent) => boolean, timeoutMs?: number): Promise<TrainerEvent>;
  stderr(): string;
}

function watch(child: ChildProcess, trainerPid: Promise<number>, onHostLine?: (line: Record<string, unknown>) => void): TrainerProcessRun {
  const events: TrainerEvent[] = [];
  const waiters = new Set<{ match: (e: TrainerEvent) => boolean; resolve: (e: TrainerEvent) => void }>();
  let buffer = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const raw = JSON.parse(line) as Record<string, unknown>;
      if ('host' in raw) {
        onHostLine?.(raw);
        continue;
      }
      const event = parseTrainerEvent(raw);
      events.push(event);
      for (const waiter of [...waiters]) {
        if (!waiter.match(event)) continue;
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the trainer process did not exit within ${exitTimeoutMs} ms; stderr: ${stderr.slice(-1500)}`));
    }, exitTimeoutMs);
    timer.unref();
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  exited.catch(() => undefined);
  return {
    child,
    trainerPid,
    events,
    exited,
    stderr: () => stderr,
    waitFor(match, timeoutMs = 120_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (e: TrainerEvent) => (clearTimeout(timer), resolve(e)) };
        const timer = setTimeout(() => (waiters.delete(waiter), reject(new Error(`no matching trainer event within ${timeoutMs} ms; stderr: ${stderr.slice(-1500)}`))), timeoutMs);
        waiters.add(waiter);
        void exited.then(() =>
          setImmediate(() => {
            if (!waiters.delete(waiter)) return;
            clearTimeout(timer);
            reject(new Error(`the trainer exited before the awaited event; stderr: ${stderr.slice(-1500)}`));
          }),
        );
      });
    },
  };
}

const quiet = { ...process.env, OMP_NUM_THREADS: '1' };
/** No trainer process of these tests runs longer (a hung one fails the test instead of hanging it). */
const exitTimeoutMs = 300_000;

/** The worker on its own, printing events on stdout. */
export function startWorker(configPath: string, resume: boolean): TrainerProcessRun {
  const child = spawn(process.execPath, [workerBundle, '--config', configPath, ...(resume ? ['--resume'] : [])], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: quiet });
  return watch(child, Promise.resolve(child.pid!));
}

/** The worker under a stand-in extension host (test/fault/trainerHost.ts), which a test may kill. */
export function startUnderHost(configPath: string, resume: boolean): TrainerProcessRun {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'trainerHost.ts'), workerBundle, configPath, ...(resume ? ['--resume'] : [])], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: quiet });
  let gotPid: (pid: number) => void = () => undefined;
  const trainerPid = new Promise<number>((resolve) => (gotPid = resolve));
  return watch(child, trainerPid, (line) => {
    if (line.host === 'worker') gotPid(line.pid as number);
  });
}

/** Whether a process is still running (a zombie is not: its exit was reaped or is pending). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc says Z for a zombie
    return !/\) Z /.test(require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Resolves when `pid` has ended; rejects after `timeoutMs`. */
export async function processEnded(pid: number, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
