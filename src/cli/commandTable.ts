// Every CLI command, one line each (each command lives in ./commands/<name>.ts).
import type { CliCommand } from './cliCommand';
import { lintCommand } from './commands/lint';
import { preprocessCommand } from './commands/preprocess';
import { tagCommand } from './commands/tag';
import { trainCommand } from './commands/train';
import { verifyFixtureCommand } from './commands/verifyFixture';

export const cliCommands: CliCommand[] = [
  lintCommand,
  preprocessCommand,
  tagCommand,
  trainCommand,
  verifyFixtureCommand,
];
