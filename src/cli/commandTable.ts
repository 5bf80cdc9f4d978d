// Every CLI command, one line each (each command lives in ./commands/<name>.ts).
import type { CliCommand } from './cliCommand';
import { createEmbeddingCommand } from './commands/createEmbedding';
import { demoCommand } from './commands/demo';
import { installCudaCommand } from './commands/installCuda';
import { lintCommand } from './commands/lint';
import { modelInfoCommand } from './commands/modelInfo';
import { preprocessCommand } from './commands/preprocess';
import { randomModelCommand } from './commands/randomModel';
import { tagCommand } from './commands/tag';
import { trainCommand } from './commands/train';
import { verifyFixtureCommand } from './commands/verifyFixture';

export const cliCommands: CliCommand[] = [
  createEmbeddingCommand,
  demoCommand,
  installCudaCommand,
  lintCommand,
  modelInfoCommand,
  preprocessCommand,
  randomModelCommand,
  tagCommand,
  trainCommand,
  verifyFixtureCommand,
];
