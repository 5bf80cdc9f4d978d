// The CLI commands that may run ONNX Runtime on a GPU provider (train, verify-fixture, tag,
// preprocess with a tagger) run in a child process of the CLI whose stderr passes through
// DriverMessageFilter: the GPU driver's chatter (Dawn, the Vulkan loader, Mesa) cannot be
// silenced in-process — it is written to file descriptor 2 by native code — so the parent keeps
// it out of the terminal and, for `train`, appends it to the run folder's trainer.log (where the
// extension's trainer keeps its whole stderr). EMBEDDING_STUDIO_DRIVER_MESSAGES=show turns the
// filter off.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DriverMessageFilter } from '../protocol/driverMessages';
import { runFolderFiles } from '../protocol/runFolderReplay';
import { resolveRunDir } from '../train/trainingRun';
import { runConfigFromArgs } from './commands/train';

export const driverMessagesVariable = 'EMBEDDING_STUDIO_DRIVER_MESSAGES';

export interface DriverFilterPlan {
  /** Where driver messages are appended; none: they are counted and dropped. */
  logPath?: string;
}

/** The value of `--provider` in args, or the command's default. */
function providerFlag(args: readonly string[], fallback: string): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--provider' && i + 1 < args.length) return args[i + 1];
    if (args[i].startsWith('--provider=')) return args[i].slice('--provider='.length);
  }
  return fallback;
}

/** Whether (and where to) this command's driver messages are filtered; undefined: run in-process as is. */
export function driverFilterPlan(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): DriverFilterPlan | undefined {
  if (env[driverMessagesVariable] === 'show' || env[driverMessagesVariable] === 'filtered') return undefined;
  if (args.includes('--help') || args.includes('-h')) return undefined;
  switch (command) {
    case 'train': {
      let config;
      try {
        config = runConfigFromArgs([...args]).config;
      } catch {
        return undefined; // the command reports the bad usage itself
      }
      if (config.provider === 'cpu') return undefined;
      return { logPath: join(resolveRunDir(config), runFolderFiles.trainerLog) };
    }
    case 'verify-fixture':
      return providerFlag(args, 'cpu') === 'cpu' ? undefined : {};
    case 'tag':
      return providerFlag(args, 'auto') === 'cpu' ? undefined : {};
    case 'preprocess':
      return args.some((a) => a === '--tagger-model' || a.startsWith('--tagger-model=')) && providerFlag(args, 'auto') !== 'cpu' ? {} : undefined;
    default:
      return undefined;
  }
}

/**
 * Runs this CLI again as a child (same Node flags and script, `argv` as its arguments) with its
 * stderr filtered; stdin and stdout are the parent's. Ctrl+C reaches the child directly (same
 * process group); a SIGTERM to the parent is passed on. Resolves with the child's exit code.
 */
export function runWithDriverMessagesFiltered(argv: readonly string[], plan: DriverFilterPlan): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [driverMessagesVariable]: 'filtered' },
  });
  let logFailed = false;
  const filter = new DriverMessageFilter({
    onOther: (text) => process.stderr.write(text),
    onDriver: (text) => {
      if (!plan.logPath || logFailed) return;
      try {
        mkdirSync(dirname(plan.logPath), { recursive: true });
        appendFileSync(plan.logPath, text);
      } catch {
        logFailed = true;
      }
    },
  });
  child.stderr!.on('data', (chunk: Buffer) => filter.write(chunk));
  const ignore = () => undefined;
  const passOn = () => child.kill('SIGTERM');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', passOn);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`embedding-studio: could not start the command in a child process: ${error.message}\n`);
      resolve(2);
    });
    child.on('close', (code, signal) => {
      filter.end();
      process.off('SIGINT', ignore);
      process.off('SIGTERM', passOn);
      if (filter.count > 0) {
        const where = plan.logPath && !logFailed ? `kept in ${plan.logPath}` : `${driverMessagesVariable}=show prints them`;
        process.stderr.write(`(${filter.count} GPU driver message${filter.count === 1 ? '' : 's'} hidden: ${where})\n`);
      }
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}
