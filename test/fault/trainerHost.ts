// A stand-in for the extension host in the fault tests: it runs the trainer the way the
// extension does (TrainerProcess: forked, IPC, log file) and prints each validated event as a
// JSON line, then the worker's pid, so a test can kill this host at any point and watch what
// the orphaned trainer does. Usage: trainerHost.ts WORKER CONFIG [--resume]
import { dirname } from 'node:path';
import { TrainerProcess } from '../../src/extension/trainerProcess';

const [workerPath, configPath, ...rest] = process.argv.slice(2);
const trainer = new TrainerProcess({ workerPath, configPath, logDir: dirname(configPath), resume: rest.includes('--resume') });
process.stdout.write(JSON.stringify({ host: 'worker', pid: trainer.pid }) + '\n');
trainer.on('event', (event) => process.stdout.write(JSON.stringify(event) + '\n'));
trainer.on('exit', (exit) => process.stdout.write(JSON.stringify({ host: 'exit', exit }) + '\n'));
