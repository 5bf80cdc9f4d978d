// The trainer process (bundled to dist/trainer.js): `trainer.js --config run-config.json
// [--resume] [--ipc] [--log trainer.log]`. Forked by the extension host with IPC it sends
// TrainerEvents with process.send and takes validated TrainerCommands; run by hand it prints
// JSON lines. onnxruntime-node is only ever loaded here (and in the CLI), never in the host.
//
// The host may die at any moment (a crash, a kill, the window closed hard): the IPC channel
// closes, and so do the pipes of stdout and stderr it was reading. The trainer then stops as
// if asked — after the current step, saving the embedding and the run state — and writes what
// it still has to say into its log file itself, never onto the closed channel or pipes.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { trainingDatasetReport } from '../lint/trainingReport';
import { parseTrainerCommand, type TrainerEvent } from '../protocol/trainerMessages';
import { CommandQueue } from './commandQueue';
import { readRunFolderConfig, runTraining } from './trainingRun';

export async function trainerMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, resume: { type: 'boolean', default: false }, ipc: { type: 'boolean', default: false }, log: { type: 'string' } },
    strict: true,
  });
  const viaIpc = values.ipc && typeof process.send === 'function';
  // a write to a pipe whose reader is gone fails with EPIPE: it must not end the training
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  let logPath = values.log;
  let hostGone = false;
  const writeLog = (line: string) => {
    if (!logPath) return;
    try {
      appendFileSync(logPath, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // nowhere left to say it
    }
  };
  const commands = new CommandQueue();
  const loseHost = (why: string) => {
    if (hostGone) return;
    hostGone = true;
    writeLog(`[trainer] ${why}: stopping after the current step and saving; resume the run from its folder`);
    commands.push({ type: 'stop' });
  };
  const emit = (event: TrainerEvent) => {
    if (!viaIpc) {
      process.stdout.write(JSON.stringify(event) + '\n');
      return;
    }
    if (hostGone || !process.connected) {
      loseHost('the extension host went away (IPC channel closed)');
      writeLog(JSON.stringify(event));
      return;
    }
    try {
      process.send!(event, undefined, {}, (error) => {
        if (!error) return;
        loseHost(`the extension host went away (${error.message})`);
        writeLog(JSON.stringify(event));
      });
    } catch (error) {
      loseHost(`the extension host went away (${(error as Error).message})`);
      writeLog(JSON.stringify(event));
    }
  };
  if (viaIpc) {
    process.on('message', (raw) => {
      try {
        commands.push(parseTrainerCommand(raw));
      } catch (error) {
        emit({ type: 'log', level: 'warning', message: `ignored an invalid command: ${(error as Error).message}` });
      }
    });
    process.on('disconnect', () => loseHost('the extension host went away (IPC channel closed)'));
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => commands.push({ type: 'stop' }));
  try {
    if (!values.config) throw new Error('trainer: --config run-config.json is required');
    const config = readRunFolderConfig(values.config);
    logPath ??= join(config.out, 'trainer.log');
    const result = await runTraining(config, {
      emit,
      resume: values.resume ?? false,
      nextCommand: commands.next,
      waitForCommand: commands.wait,
      datasetReport: (index, countTokens) => trainingDatasetReport(index, { countTokens }),
    });
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
    if (process.send && process.connected) {
      try {
        process.send({ type: 'log', level: 'info', message: `trainer exiting (${code})` }, undefined, {}, () => process.connected && process.disconnect());
      } catch {
        // the host left in the meantime
      }
    }
  });
}
