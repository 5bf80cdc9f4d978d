// Every CLI command, one line each (each command lives in ./commands/<name>.ts).
import type { CliCommand } from './cliCommand';

export const cliCommands: CliCommand[] = [];
