// The trainer process as the extension host runs it: forked with IPC, TrainerCommands in,
// validated TrainerEvents out (pause, live learning-rate change, resume, save now, stop).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrainerEvent, type TrainerCommand, type TrainerEvent } from '../../src/protocol/trainerMessages';
import { mergeRunConfig } from '../../src/train/config';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { timeLimits, withinTime } from '../support/timeLimits';
import { scratchFolder } from '../support/scratchFolder';

const repo = join(__dirname, '../..');

test('forked with IPC: pause, setLearningRate, resume, saveNow and stop are obeyed in order', async () => {
  const root = scratchFolder('worker-');
  await writeDemoDataset(join(root, 'data'), 2, 64, 2);
  const configPath = join(root, 'run-config.json');
  writeFileSync(
    configPath,
    JSON.stringify(
      mergeRunConfig({
        model: join(repo, 'test/fixtures/sd1-tiny/model.safetensors'), data: join(root, 'data'), name: 'ipcemb', vectors: 2, maxSteps: 100000, width: 64, height: 64,
        saveEvery: 0, previewEvery: 0, provider: 'cpu', out: join(root, 'run'), tokenizer: join(repo, 'resources/clip/bpe_simple_vocab_16e6.txt.gz'), textHeads: 4, unetHeads: 2,
      }),
    ),
  );
  const child = fork(join(repo, 'src/train/worker.ts'), ['--config', configPath, '--ipc'], { execArgv: ['--import', 'tsx'], cwd: repo, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'json' });
  const events: TrainerEvent[] = [];
  const send = (command: TrainerCommand) => child.send(command);
  const script: [(e: TrainerEvent) => boolean, TrainerCommand | null][] = [
    [(e) => e.type === 'progress' && e.step === 3, { type: 'pause' }],
    [(e) => e.type === 'paused', { type: 'setLearningRate', schedule: '0.001' }],
    [(e) => e.type === 'learningRateChanged', { type: 'resume' }],
    [(e) => e.type === 'resumed', null],
    [(e) => e.type === 'progress' && e.learningRate === 0.001, { type: 'saveNow' }],
    [(e) => e.type === 'saved' && e.kind === 'embedding', { type: 'stop' }],
  ];
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.on('message', (raw) => {
    const event = parseTrainerEvent(raw);
    events.push(event);
    if (script.length && script[0][0](event)) {
      const [, command] = script.shift()!;
      if (command) send(command);
    }
  });
  const exitCode = await withinTime(exit, timeLimits.command, 'the trainer to obey its command script and exit', () => `events: ${events.map((e) => e.type).join(',')}`).catch((error) => {
    child.kill('SIGKILL');
    throw error;
  });
  assert.equal(exitCode, 0);
  assert.equal(script.length, 0, `unfinished script; events: ${events.map((e) => e.type).join(',')}`);
  const finished = events.find((e) => e.type === 'finished');
  assert.ok(finished && finished.type === 'finished' && finished.reason === 'stopped');
  const paused = events.find((e) => e.type === 'paused')!;
  const resumed = events.find((e) => e.type === 'resumed')!;
  assert.equal((paused as { step: number }).step, (resumed as { step: number }).step, 'no step ran while paused');
  const rates = events.filter((e): e is Extract<TrainerEvent, { type: 'progress' }> => e.type === 'progress').map((e) => [e.step, e.learningRate]);
  assert.ok(rates.every(([step, rate]) => (step <= (paused as { step: number }).step ? rate === 0.005 : rate === 0.001)), JSON.stringify(rates));
});
