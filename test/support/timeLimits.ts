// Every wait in a test has a bound, and a wait that runs out says what it was waiting for:
// `withinTime` for promises (events, notifications, a child's exit), `runBounded` for a child
// process run to its end (spawnSync blocks the test runner's own timers, so its bound must be
// its own: the child is killed and named when it passes it).
import { spawnSync, type SpawnSyncOptions, type SpawnSyncReturns } from 'node:child_process';

/** Default bounds, generous for a loaded 2-core machine. */
export const timeLimits = {
  /** A notification or answer from a server that is already up. */
  event: 30_000,
  /** A server's start (index built, ready). */
  start: 60_000,
  /** A CLI command or script run to its end. */
  command: 5 * 60_000,
} as const;

export class WaitTimeout extends Error {}

/**
 * Resolves like `promise`, or rejects after `ms` with "timed out after … waiting for WHAT".
 * `detail` adds what is known at that moment (the last value seen, a log tail).
 */
export function withinTime<T>(promise: Promise<T>, ms: number, what: string, detail?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const extra = detail?.();
      reject(new WaitTimeout(`timed out after ${ms} ms waiting for ${what}${extra ? `\n${extra}` : ''}`));
    }, ms);
    // not unref'd: a pending wait keeps the process alive until its bound, so it ends with this message
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function commandText(command: string, args: readonly string[]): string {
  const text = [command, ...args].join(' ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * spawnSync with a time limit (default timeLimits.command): past it the child is killed, and the
 * result's `error` says which command did not finish in time. The test's assertions then fail
 * with that message instead of the test run hanging.
 */
export function runBounded(
  command: string,
  args: readonly string[],
  options: SpawnSyncOptions & { encoding: BufferEncoding; timeoutMs?: number },
): SpawnSyncReturns<string> {
  const { timeoutMs = timeLimits.command, ...rest } = options;
  const result = spawnSync(command, args, { ...rest, timeout: timeoutMs, killSignal: 'SIGKILL' }) as SpawnSyncReturns<string>;
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    const message = `\`${commandText(command, args)}\` did not finish within ${timeoutMs} ms and was killed`;
    result.error = new WaitTimeout(message);
    // Assertions usually show stderr: make the reason visible there too.
    result.stderr = `${result.stderr ?? ''}\n[${message}]`;
  }
  return result;
}
