import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunState, writeRunState } from '../../src/train/runState';
import { adamWStep, createAdamWState } from '../../src/train/optimizer';

test('a saved run state restores embedding, moments, step and random state exactly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-'));
  const vectors = new Float32Array([0.1, -0.2, 0.3, 0.4]);
  const optimizer = createAdamWState(4);
  adamWStep(vectors, new Float32Array([1e-3, -2, 0.5, 1 / 3]), optimizer, 0.005);
  const path = join(dir, 'run-state.safetensors');
  writeRunState(path, { step: 17, name: 'miku', vectors, count: 2, width: 2, optimizer, random: { s: [1, 2, 3, 4], spare: null }, learnRate: '0.005:10, 0.001', loss: 0.125 });
  const back = readRunState(path);
  assert.equal(back.step, 17);
  assert.deepEqual([...back.vectors], [...vectors]);
  assert.deepEqual([...back.optimizer.firstMoment], [...optimizer.firstMoment]);
  assert.deepEqual([...back.optimizer.secondMoment], [...optimizer.secondMoment]);
  assert.equal(back.optimizer.step, 1);
  assert.deepEqual(back.random, { s: [1, 2, 3, 4], spare: null });
  assert.equal(back.learnRate, '0.005:10, 0.001');
  assert.equal(back.loss, 0.125);
  // the next update from the restored state equals the next update from the live one
  const g = new Float32Array([0.3, 0.3, -0.1, 2]);
  adamWStep(vectors, g, optimizer, 0.005);
  adamWStep(back.vectors, g, back.optimizer, 0.005);
  assert.deepEqual([...back.vectors], [...vectors]);
});

test('a file that is not a run state is refused with the way out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-'));
  const path = join(dir, 'x.safetensors');
  const header = Buffer.from(JSON.stringify({ __metadata__: { kind: 'other' }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(path, Buffer.concat([len, header, Buffer.alloc(4)]));
  assert.throws(() => readRunState(path), /not a run state file.*without --resume/);
});
