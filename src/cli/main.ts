// `embedding-studio` command-line entry: one command table, each command in its own file under
// ./commands. Exit codes: 0 ok, 1 the command found problems (or failed), 2 bad usage or input.
import { cliCommands } from './commandTable';
import { driverFilterPlan, runWithDriverMessagesFiltered } from './driverMessageFilter';

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write(`${require('../../package.json').version}\n`);
    return 0;
  }
  const command = cliCommands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`embedding-studio: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  // GPU providers: the command runs in a child whose GPU-driver chatter on stderr is kept out of the terminal
  const plan = driverFilterPlan(name, rest);
  if (plan) return runWithDriverMessagesFiltered(argv, plan);
  return command.run(rest);
}

function usage(): string {
  const rows = cliCommands.map((c) => `  ${c.name.padEnd(16)} ${c.summary}`).join('\n');
  return `Usage: embedding-studio <command> [options]\n\nCommands:\n${rows}\n\nRun 'embedding-studio <command> --help' for a command's options.\n`;
}

/**
 * Output piped into a reader that stops early (`lint … | head`) fails with EPIPE: the rest of
 * the output has nowhere to go, and that is all — a training run goes on, writes its files and
 * exits with its own status. Any other stream error is reported once on whatever still works.
 */
export function tolerateClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // the stream is destroyed: later writes would only raise again
      stream.write = (() => true) as typeof stream.write;
      if (error.code !== 'EPIPE' && stream === process.stdout) process.stderr.write(`embedding-studio: cannot write the output (${error.code ?? error.message})\n`);
    });
  }
}

/** Runs the CLI on this process's arguments and sets its exit code (used by bin/ and by `node dist/cli.js`). */
export function runCli(argv: string[] = process.argv.slice(2)): void {
  tolerateClosedOutput();
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`embedding-studio: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) runCli();
