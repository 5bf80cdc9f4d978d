import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { parseGenerationParameters, parseLossLog, replayRunFolder, RunFolderError } from '../../src/protocol/runFolderReplay';
import { parseTrainerEvent, type TrainerEvent } from '../../src/protocol/trainerMessages';
import { demoRunDir, demoRunEvents } from '../webview/fixtures/demoRunEvents';

type EventOf<T extends TrainerEvent['type']> = Extract<TrainerEvent, { type: T }>;
const folders: string[] = [];
after(() => folders.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A PNG with a tEXt chunk, built by hand (independent of the trainer's PNG writer). */
async function pngWithParameters(text: string): Promise<Buffer> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
  const data = Buffer.concat([Buffer.from('parameters\0', 'latin1'), Buffer.from(text, 'latin1')]);
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

function runFolder(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'replay-run-'));
  folders.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

test('rebuilds the run from its folder: curve, saves, previews, outcome', async () => {
  const dir = runFolder({
    'run-config.json': JSON.stringify({ name: 'kaede', vectors: 6, maxSteps: 4, provider: 'cuda', learnRate: '0.005' }),
    'textual_inversion_loss.csv': 'step,epoch,epoch_step,loss,learn_rate\n1,0,0,0.2000000,0.005\n2,0,1,0.1000000,0.005\n3,1,0,0.3000000,0.005\n4,1,1,0.2000000,0.0001\n',
    'embeddings/kaede-2.safetensors': '',
    'embeddings/kaede-4.safetensors': '',
    'embeddings/kaede.safetensors': '',
    'embeddings/other-3.safetensors': '',
    'images/kaede-2-0.png': await pngWithParameters('kaede\nNegative prompt: lowres\nSteps: 20, Sampler: DDIM, CFG scale: 7, Seed: 99, Size: 512x512'),
    'images/kaede-2-1.png': await pngWithParameters('a photo of kaede, smiling'),
    'images/notes.txt': 'not a preview',
  });
  const events = await replayRunFolder(dir);
  events.forEach((event) => parseTrainerEvent(event));
  assert.deepEqual(events.map((e) => `${e.type}${'step' in e ? `@${e.step}` : ''}`), [
    'started',
    'progress@1',
    'progress@2',
    'saved@2',
    'preview@2',
    'preview@2',
    'progress@3',
    'progress@4',
    'saved@4',
    'saved@4',
    'finished@4',
  ]);
  const started = events[0] as EventOf<'started'>;
  assert.equal(started.embeddingName, 'kaede');
  assert.equal(started.vectors, 6);
  assert.equal(started.maxSteps, 4);
  assert.equal(started.provider, 'cuda (as configured)');
  const progress = events.filter((e): e is EventOf<'progress'> => e.type === 'progress');
  // Means of the losses so far (the trainer's window is 200 steps): 0.2, 0.15, 0.2, 0.2.
  assert.deepEqual(progress.map((p) => [p.loss, +p.lossAverage!.toFixed(12), p.learningRate, p.epoch, p.epochStep]), [
    [0.2, 0.2, 0.005, 0, 0],
    [0.1, 0.15, 0.005, 0, 1],
    [0.3, 0.2, 0.005, 1, 0],
    [0.2, 0.2, 0.0001, 1, 1],
  ]);
  const saved = events.filter((e): e is EventOf<'saved'> => e.type === 'saved');
  assert.deepEqual(saved.map((s) => [s.step, s.path, +s.loss!.toFixed(12), s.kind]), [
    [2, join(dir, 'embeddings', 'kaede-2.safetensors'), 0.15, 'embedding'],
    [4, join(dir, 'embeddings', 'kaede-4.safetensors'), 0.2, 'embedding'],
    [4, join(dir, 'embeddings', 'kaede.safetensors'), 0.2, 'embedding'],
  ]);
  const previews = events.filter((e): e is EventOf<'preview'> => e.type === 'preview');
  assert.deepEqual(previews.map((p) => [p.path, p.prompt, p.negativePrompt, p.seed, p.sampler, p.samplingSteps, p.differenceFromPrevious]), [
    [join(dir, 'images', 'kaede-2-0.png'), 'kaede', 'lowres', 99, 'DDIM', 20, null],
    [join(dir, 'images', 'kaede-2-1.png'), 'a photo of kaede, smiling', '', 0, 'unknown', 0, null],
  ]);
  const finished = events.at(-1) as EventOf<'finished'>;
  assert.deepEqual({ ...finished, bestLoss: +finished.bestLoss!.toFixed(12) }, { type: 'finished', reason: 'completed', step: 4, embeddingPath: join(dir, 'embeddings', 'kaede.safetensors'), bestLoss: 0.15 });
});

test('a run that ended before its last step, without a final embedding, reads as stopped', async () => {
  const dir = runFolder({
    'run-config.json': JSON.stringify({ name: 'kaede', maxSteps: 1000 }),
    'textual_inversion_loss.csv': 'step,epoch,epoch_step,loss,learn_rate\n1,0,0,0.5,0.005\n',
    'embeddings/kaede-1.safetensors': '',
  });
  const events = await replayRunFolder(dir);
  assert.deepEqual(events.at(-1), { type: 'finished', reason: 'stopped', step: 1, embeddingPath: join(dir, 'embeddings', 'kaede-1.safetensors'), bestLoss: 0.5 });
});

test('matches what the real trainer reported during the recorded demo run', async () => {
  const recorded = demoRunEvents();
  const replayed = await replayRunFolder(demoRunDir);
  const recordedProgress = recorded.filter((e): e is EventOf<'progress'> => e.type === 'progress');
  const replayedProgress = replayed.filter((e): e is EventOf<'progress'> => e.type === 'progress');
  assert.equal(replayedProgress.length, recordedProgress.length);
  recordedProgress.forEach((r, i) => {
    const p = replayedProgress[i];
    assert.equal(p.step, r.step);
    assert.equal(p.epoch, r.epoch);
    assert.equal(p.epochStep, r.epochStep);
    assert.equal(p.learningRate, r.learningRate);
    // The CSV keeps 7 decimals; the moving average must agree with the trainer's own monitor.
    assert.ok(Math.abs(p.loss! - r.loss!) <= 5e-8, `loss at ${r.step}`);
    assert.ok(Math.abs(p.lossAverage! - r.lossAverage!) <= 1e-7, `average at ${r.step}: ${p.lossAverage} vs ${r.lossAverage}`);
  });
  const embeddings = (list: TrainerEvent[]) => list.filter((e): e is EventOf<'saved'> => e.type === 'saved' && e.kind === 'embedding').map((s) => [s.step, s.path]);
  assert.deepEqual(embeddings(replayed), embeddings(recorded));
  const previews = (list: TrainerEvent[]) =>
    list.filter((e): e is EventOf<'preview'> => e.type === 'preview').map((p) => [p.step, p.path, p.prompt, p.negativePrompt, p.seed, p.sampler, p.samplingSteps]);
  assert.deepEqual(previews(replayed), previews(recorded));
  const finished = recorded.at(-1) as EventOf<'finished'>;
  const replayedFinished = replayed.at(-1) as EventOf<'finished'>;
  assert.deepEqual([replayedFinished.reason, replayedFinished.step, replayedFinished.embeddingPath], [finished.reason, finished.step, finished.embeddingPath]);
});

test('a nan or inf loss in the CSV replays as a null loss, outside the moving average', async () => {
  // Written the way A1111 writes a non-finite loss (Python's f"{loss:.7f}"), by hand.
  const dir = runFolder({
    'run-config.json': JSON.stringify({ name: 'kaede', maxSteps: 5 }),
    'textual_inversion_loss.csv': 'step,epoch,epoch_step,loss,learn_rate\n1,0,0,nan,0.05\n2,0,1,0.2000000,0.05\n3,1,0,0.4000000,0.05\n4,1,1,nan,0.05\n5,2,0,-inf,0.05\n',
    'embeddings/kaede-4.safetensors': '',
  });
  const events = await replayRunFolder(dir);
  events.forEach((event) => parseTrainerEvent(event));
  const progress = events.filter((e): e is EventOf<'progress'> => e.type === 'progress');
  // The average is of the finite losses so far: none, 0.2, (0.2 + 0.4) / 2, unchanged by 4 and 5.
  assert.deepEqual(
    progress.map((p) => [p.step, p.loss, p.lossAverage === null ? null : +p.lossAverage.toFixed(12)]),
    [
      [1, null, null],
      [2, 0.2, 0.2],
      [3, 0.4, 0.3],
      [4, null, 0.3],
      [5, null, 0.3],
    ],
  );
  const saved = events.find((e): e is EventOf<'saved'> => e.type === 'saved')!;
  assert.equal(+saved.loss!.toFixed(12), 0.3);
  const finished = events.at(-1) as EventOf<'finished'>;
  assert.equal(+finished.bestLoss!.toFixed(12), 0.2);
  // JSON (the way to the webview) keeps null as null: nothing turns into 0 or -1 on the way.
  const sent = JSON.parse(JSON.stringify(progress)) as EventOf<'progress'>[];
  assert.deepEqual(sent.map((p) => p.loss), [null, 0.2, 0.4, null, null]);
});

test('says what is wrong with a folder that is not a run, and where', async () => {
  const empty = runFolder({ 'readme.txt': 'hello' });
  await assert.rejects(replayRunFolder(empty), (e: Error) => e instanceof RunFolderError && e.message.includes(join(empty, 'run-config.json')) && /not a training run folder/.test(e.message));
  const badConfig = runFolder({ 'run-config.json': '[1, 2]' });
  await assert.rejects(replayRunFolder(badConfig), /run-config.json: not a run configuration \(expected a JSON object\)/);
  const badRow = runFolder({ 'run-config.json': '{"name":"a"}', 'textual_inversion_loss.csv': 'step,epoch,epoch_step,loss,learn_rate\n1,0,0,0.5,0.005\n2,0,1,oops,0.005\n' });
  await assert.rejects(replayRunFolder(badRow), (e: Error) => e.message.startsWith(`${join(badRow, 'textual_inversion_loss.csv')}:3: expected five numbers`) && e.message.includes('"2,0,1,oops,0.005"'));
  assert.throws(() => parseLossLog('step,loss\n1,0.5', 'x.csv'), /x.csv:1: expected the header "step,epoch,epoch_step,loss,learn_rate"/);
  // Only the loss column may say nan/inf; an empty loss or a nan learning rate is still an error.
  assert.throws(() => parseLossLog('step,epoch,epoch_step,loss,learn_rate\n1,0,0,,0.005', 'x.csv'), /x.csv:2: expected five numbers/);
  assert.throws(() => parseLossLog('step,epoch,epoch_step,loss,learn_rate\n1,0,0,0.5,nan', 'x.csv'), /x.csv:2: expected five numbers/);
  assert.throws(() => parseLossLog('step,epoch,epoch_step,loss,learn_rate\n1,0,0,nano,0.005', 'x.csv'), /x.csv:2: expected five numbers/);
  const noLog = runFolder({ 'run-config.json': '{"name":"a"}' });
  const events = await replayRunFolder(noLog);
  assert.deepEqual(events.map((e) => e.type), ['started', 'log', 'finished']);
});

test('reads A1111 generation parameters', () => {
  assert.deepEqual(parseGenerationParameters('1girl, (red eyes:1.2)\nsmiling\nNegative prompt: lowres, bad hands\nSteps: 50, Sampler: Euler a, CFG scale: 7, Seed: 1234, Size: 512x512, Model hash: abc'), {
    prompt: '1girl, (red eyes:1.2)\nsmiling',
    negativePrompt: 'lowres, bad hands',
    fields: { Steps: '50', Sampler: 'Euler a', 'CFG scale': '7', Seed: '1234', Size: '512x512', 'Model hash': 'abc' },
  });
  assert.deepEqual(parseGenerationParameters('just a prompt'), { prompt: 'just a prompt', negativePrompt: '', fields: {} });
});
