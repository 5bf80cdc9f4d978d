// The stdio writer: messages written in one turn go out as one chunk, framed and in order, and
// read back with vscode-jsonrpc's own reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { StreamMessageReader, type NotificationMessage } from 'vscode-languageserver/node';
import { BatchedStreamWriter } from '../../src/server/batchedStreamWriter';

test('a burst of messages is one write, read back in order with non-ASCII text intact', async () => {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const received: NotificationMessage[] = [];
  const all = new Promise<void>((resolve) => {
    new StreamMessageReader(stream).listen((message) => {
      received.push(message as NotificationMessage);
      if (received.length === 1000) resolve();
    });
  });
  const writer = new BatchedStreamWriter(stream);
  for (let i = 0; i < 1000; i++) void writer.write({ jsonrpc: '2.0', method: 'test/n', params: { i, text: i % 2 ? 'café 初音' : 'plain' } } as NotificationMessage);
  await all;
  assert.equal(chunks.length, 1);
  assert.deepEqual(received.map((m) => (m.params as { i: number }).i), Array.from({ length: 1000 }, (_, i) => i));
  assert.equal((received[1].params as { text: string }).text, 'café 初音');
});
