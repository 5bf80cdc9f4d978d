// The tagger child process over its real IPC protocol: the TypeScript entry is forked with tsx.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { TaggerProcess } from '../../src/dataset/taggerProcess';
import type { TaggerEvent } from '../../src/protocol/taggerMessages';
import { v3Like, writeTestTagger } from './testTaggerModel';
import { scratchFolder } from '../support/scratchFolder';

const workerEntry = join(__dirname, '../../src/dataset/taggerWorker.ts');

test('the child process loads the model, tags images, reports failures and stays up for the next request', async () => {
  const dir = scratchFolder('es-tagger-worker-');
  const { model, tags } = writeTestTagger(dir, v3Like);
  const red = join(dir, 'red.png');
  const white = join(dir, 'white.png');
  await sharp({ create: { width: 40, height: 40, channels: 3, background: '#ff0000' } }).png().toFile(red);
  await sharp({ create: { width: 40, height: 40, channels: 3, background: '#ffffff' } }).png().toFile(white);
  const tagger = await TaggerProcess.start(workerEntry, { execArgv: ['--import', 'tsx'] });
  try {
    const events: TaggerEvent['type'][] = [];
    const run = await tagger.tag(
      { modelPath: model, tagsPath: tags, provider: 'cpu', images: [red, join(dir, 'missing.png'), white], selection: { alwaysFirst: ['mychar'] }, batchSize: 2 },
      (event) => events.push(event.type),
    );
    assert.equal(run.model.provider, 'cpu');
    assert.equal(run.model.fixedBatch, null);
    assert.equal(run.model.size, 64);
    assert.deepEqual(run.tagged.map((t) => [t.image, t.tags]), [
      [red, ['mychar', 'red theme', 'hakurei reimu']],
      [white, ['mychar', 'white background', '^_^']],
    ]);
    assert.equal(run.failed.length, 1);
    assert.match(run.failed[0].reason, /missing\.png|no such file|exist/i);
    assert.deepEqual(run.finished, { type: 'finished', requestId: run.finished.requestId, tagged: 2, failed: 1, cancelled: false, outputKind: 'probabilities' });
    assert.equal(events[0], 'modelLoaded');
    assert.equal(events.at(-1), 'finished');

    // Same process, a request it must refuse with a clear message, then a cancelled one.
    await assert.rejects(tagger.tag({ modelPath: join(dir, 'nope.onnx'), tagsPath: tags, provider: 'cpu', images: [red], selection: {} }), /nope.onnx: cannot read the model \(ENOENT\)/);
    const controller = new AbortController();
    controller.abort();
    const cancelled = await tagger.tag({ modelPath: model, tagsPath: tags, provider: 'cpu', images: [red, white, red, white], selection: {}, batchSize: 1 }, undefined, controller.signal);
    assert.equal(cancelled.finished.cancelled, true);
    assert.ok(cancelled.tagged.length < 4);
  } finally {
    await tagger.dispose();
  }
});

test('the bundled worker (dist/tagger.js, built by npm test) speaks the same protocol', { skip: !existsSync(join(__dirname, '../../dist/tagger.js')) && 'dist/tagger.js not built (run npm run build)' }, async () => {
  const dir = scratchFolder('es-tagger-dist-');
  const { model, tags } = writeTestTagger(dir, v3Like);
  const white = join(dir, 'white.png');
  await sharp({ create: { width: 30, height: 50, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toFile(white);
  const tagger = await TaggerProcess.start(join(__dirname, '../../dist/tagger.js'));
  try {
    const run = await tagger.tag({ modelPath: model, tagsPath: tags, provider: 'cpu', images: [white], selection: { generalMcut: true } });
    assert.deepEqual(run.tagged[0].tags, ['white background', '^_^']);
  } finally {
    await tagger.dispose();
  }
});
