// The trainer process (bundled to dist/trainer.js): `trainer.js --config run-config.json
// [--resume] [--ipc]`. Forked by the extension host with IPC it sends TrainerEvents with
// process.send and takes validated TrainerCommands; run by hand it prints JSON lines.
// onnxruntime-node is only ever loaded here (and in the CLI), never in the extension host.
import { parseArgs } from 'node:util';
import { parseTrainerCommand, type TrainerEvent } from '../protocol/trainerMessages';
import { CommandQueue } from './commandQueue';
import { readRunConfigFile } from './config';
import { runTraining } from './trainingRun';

export async function trainerMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, resume: { type: 'boolean', default: false }, ipc: { type: 'boolean', default: false } }, strict: true });
  const viaIpc = values.ipc && typeof process.send === 'function';
  const emit = (event: TrainerEvent) => {
    if (viaIpc) process.send!(event);
    else process.stdout.write(JSON.stringify(event) + '\n');
  };
  const commands = new CommandQueue();
  if (viaIpc) {
    process.on('message', (raw) => {
      try {
        commands.push(parseTrainerCommand(raw));
      } catch (error) {
        emit({ type: 'log', level: 'warning', message: `ignored an invalid command: ${(error as Error).message}` });
      }
    });
    process.on('disconnect', () => commands.push({ type: 'stop' }));
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => commands.push({ type: 'stop' }));
  try {
    if (!values.config) throw new Error('trainer: --config run-config.json is required');
    const config = readRunConfigFile(values.config);
    const result = await runTraining(config, { emit, resume: values.resume ?? false, nextCommand: commands.next, waitForCommand: commands.wait });
    return result.reason === 'diverged' ? 1 : 0;
  } catch (error) {
    emit({ type: 'error', message: (error as Error).message, detail: (error as Error).stack });
    return 1;
  }
}

if (require.main === module) {
  trainerMain(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // the callback of the last message fires once every earlier one was handed over; then the
    // IPC channel can close and the process end
    if (process.send && process.connected) process.send({ type: 'log', level: 'info', message: `trainer exiting (${code})` }, () => process.disconnect());
  });
}
