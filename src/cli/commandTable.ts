// Every CLI command, one line each (each command lives in ./commands/<name>.ts).
import type { CliCommand } from './cliCommand';
import { lintCommand } from './commands/lint';

export const cliCommands: CliCommand[] = [
  lintCommand,
];
