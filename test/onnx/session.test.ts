// The session wrapper and model placement, with real files and real ORT sessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Graph,
  createSession,
  encodeTensorBytes,
  placeModelForCheckpoint,
  providerCandidates,
  serializeModel,
  writeModel,
} from '../../src/onnx/index';

/** A fake "checkpoint": a header of odd length, then float32 [1,2,3] and float16 [0.5,-2]. */
function writeCheckpoint(path: string): { f32Offset: number; f16Offset: number } {
  const header = new Uint8Array(13).fill(7);
  const f32 = encodeTensorBytes([1, 2, 3], 'float32');
  const f16 = encodeTensorBytes([0.5, -2], 'float16');
  const all = new Uint8Array(header.length + f32.length + f16.length);
  all.set(header, 0);
  all.set(f32, 13);
  all.set(f16, 13 + 12);
  writeFileSync(path, all);
  return { f32Offset: 13, f16Offset: 25 };
}

function checkpointGraph(location: string, offsets: { f32Offset: number; f16Offset: number }): Graph {
  const g = new Graph('ckpt');
  const x = g.input('x', 'float32', [3]);
  const a = g.externalTensor('a', { dtype: 'float32', shape: [3], location, offset: offsets.f32Offset, length: 12 });
  const b = g.externalTensor('b', { dtype: 'float16', shape: [2], location, offset: offsets.f16Offset, length: 4 });
  g.output(g.mul(x, a), 'xa');
  g.output(g.cast(b, 'float32'), 'b32');
  return g;
}

async function runCheckpointModel(model: string | Uint8Array, options: Parameters<typeof createSession>[1] = {}): Promise<{ xa: number[]; b: number[] }> {
  const s = await createSession(model, { provider: 'cpu', ...options });
  try {
    const out = await s.run({ x: { dtype: 'float32', shape: [3], data: Float32Array.from([1, 10, 100]) } });
    return { xa: Array.from(out.xa.data as Float32Array), b: Array.from(out.b32.data as Float32Array) };
  } finally {
    await s.release();
  }
}

test('auto provider: a working provider, with a note for every one skipped before it', async () => {
  const g = new Graph();
  g.output(g.exp(g.input('x', 'float32', [1])), 'y');
  const s = await createSession(serializeModel(g), { provider: 'auto' });
  const order = providerCandidates('auto');
  const skipped = order.slice(0, order.indexOf(s.provider));
  assert.equal(s.providerNotes.length, skipped.length);
  skipped.forEach((p, i) => assert.ok(s.providerNotes[i].startsWith(`${p}:`), s.providerNotes[i]));
  const out = await s.run({ x: { dtype: 'float32', shape: [1], data: Float32Array.from([0]) } });
  assert.deepEqual(Array.from(out.y.data as Float32Array), [1]);
  await s.release();
});

test('provider order: DirectML only on Windows, CPU last', () => {
  assert.deepEqual(providerCandidates('auto', 'linux'), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(providerCandidates('auto', 'win32'), ['cuda', 'dml', 'webgpu', 'cpu']);
  assert.deepEqual(providerCandidates('cpu', 'linux'), ['cpu']);
});

test('a bad model fails with a message naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-onnx-'));
  try {
    const path = join(dir, 'broken.onnx');
    writeFileSync(path, 'not a model');
    await assert.rejects(createSession(path, { provider: 'cpu' }), (e: Error) => e.message.includes(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('beside the checkpoint: initialisers read at unaligned offsets, float16 too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-onnx-'));
  try {
    const ckpt = join(dir, 'model.safetensors');
    const offsets = writeCheckpoint(ckpt);
    const place = placeModelForCheckpoint(ckpt, { modelFileName: 'test.onnx', cacheDir: join(dir, 'cache') });
    assert.equal(place.method, 'beside-checkpoint');
    assert.equal(place.modelPath, join(dir, 'test.onnx'));
    writeModel(place.modelPath, serializeModel(checkpointGraph(place.dataLocation, offsets)));
    assert.deepEqual(await runCheckpointModel(place.modelPath), { xa: [1, 20, 300], b: [0.5, -2] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('symlinked checkpoint (Hugging Face cache style) resolves to the real file first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-onnx-'));
  try {
    mkdirSync(join(dir, 'blobs'));
    mkdirSync(join(dir, 'snapshots'));
    const real = join(dir, 'blobs', 'abc123');
    const offsets = writeCheckpoint(real);
    const link = join(dir, 'snapshots', 'model.safetensors');
    symlinkSync(real, link);
    const place = placeModelForCheckpoint(link, { modelFileName: 'test.onnx', cacheDir: join(dir, 'cache') });
    assert.equal(place.checkpointRealPath, real);
    assert.equal(place.dataLocation, 'abc123');
    writeModel(place.modelPath, serializeModel(checkpointGraph(place.dataLocation, offsets)));
    assert.deepEqual(await runCheckpointModel(place.modelPath), { xa: [1, 20, 300], b: [0.5, -2] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hard link into the cache folder when the checkpoint folder is not used; nothing copied', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-onnx-'));
  try {
    mkdirSync(join(dir, 'models'));
    const ckpt = join(dir, 'models', 'model.safetensors');
    const offsets = writeCheckpoint(ckpt);
    const cacheDir = join(dir, 'cache');
    const place = placeModelForCheckpoint(ckpt, { modelFileName: 'test.onnx', cacheDir, method: 'hard-link' });
    assert.equal(place.method, 'hard-link');
    assert.equal(place.modelPath, join(cacheDir, 'test.onnx'));
    const linked = statSync(join(cacheDir, place.dataLocation));
    assert.equal(linked.ino, statSync(ckpt).ino);
    writeModel(place.modelPath, serializeModel(checkpointGraph(place.dataLocation, offsets)));
    assert.deepEqual(await runCheckpointModel(place.modelPath), { xa: [1, 20, 300], b: [0.5, -2] });
    // A second placement reuses the link.
    assert.doesNotThrow(() => placeModelForCheckpoint(ckpt, { modelFileName: 'test.onnx', cacheDir, method: 'hard-link' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a foreign file where the link should be is an error, not overwritten', () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-onnx-'));
  try {
    const ckpt = join(dir, 'model.safetensors');
    writeCheckpoint(ckpt);
    mkdirSync(join(dir, 'cache'));
    writeFileSync(join(dir, 'cache', 'model.safetensors'), 'other');
    assert.throws(
      () => placeModelForCheckpoint(ckpt, { modelFileName: 'm.onnx', cacheDir: join(dir, 'cache'), method: 'hard-link' }),
      /exists but is not a hard link of .*remove it/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a hard link across file systems fails with the way out, never a silent copy', (t) => {
  if (!existsSync('/dev/shm') || statSync('/dev/shm').dev === statSync(tmpdir()).dev) {
    t.skip('no second file system to link across');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'es-onnx-'));
  const cacheDir = mkdtempSync('/dev/shm/es-onnx-cache-');
  try {
    const ckpt = join(dir, 'model.safetensors');
    writeCheckpoint(ckpt);
    assert.throws(
      () => placeModelForCheckpoint(ckpt, { modelFileName: 'm.onnx', cacheDir, method: 'hard-link' }),
      /hard link into .* failed \(EXDEV\).*Make .* writable, or point the cache folder at the same drive/,
    );
    assert.equal(existsSync(join(cacheDir, 'model.safetensors')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('a missing checkpoint names the path', () => {
  assert.throws(() => placeModelForCheckpoint('/nonexistent/x.safetensors', { modelFileName: 'm.onnx', cacheDir: tmpdir() }), /\/nonexistent\/x.safetensors: cannot read the checkpoint \(ENOENT\)/);
});

test('small models as bytes with in-memory external data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-onnx-'));
  try {
    const ckpt = join(dir, 'weights.bin');
    const offsets = writeCheckpoint(ckpt);
    const bytes = serializeModel(checkpointGraph('weights.bin', offsets));
    const { readFileSync } = await import('node:fs');
    const result = await runCheckpointModel(bytes, { externalData: [{ path: 'weights.bin', data: readFileSync(ckpt) }] });
    assert.deepEqual(result, { xa: [1, 20, 300], b: [0.5, -2] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
