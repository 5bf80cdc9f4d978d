import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, serializeModel } from '../../src/onnx';
import { openSafetensors, writeSafetensors } from '../../src/sd/safetensors';
import { CheckpointWeights, createWeightedSession } from '../../src/sd/weights';

// Values exactly representable in half and bfloat16, with their bit patterns written by hand.
const values = [1.5, -2, 0.25, 3];
const halfBits = Uint16Array.from([0x3e00, 0xc000, 0x3400, 0x4200]);
const bfloatBits = Uint16Array.from([0x3fc0, 0xc000, 0x3e80, 0x4040]);

test('F32, F16 and BF16 tensors bind as float32 values, in memory and from a model file on disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-weights-'));
  try {
    const path = join(dir, 'weights.safetensors');
    writeSafetensors(path, [
      { name: 'a.f32', dtype: 'F32', shape: [2, 2], data: Float32Array.from(values) },
      { name: 'a.f16', dtype: 'F16', shape: [2, 2], data: halfBits },
      { name: 'a.bf16', dtype: 'BF16', shape: [2, 2], data: bfloatBits },
      { name: 'a.ids', dtype: 'I64', shape: [1], data: BigInt64Array.from([1n]) },
    ]);
    for (const inMemory of [true, false]) {
      const file = openSafetensors(path);
      const g = new Graph('weights');
      const weights = new CheckpointWeights(g, file);
      const x = g.input('x', 'float32', [2, 2]);
      for (const name of ['a.f32', 'a.f16', 'a.bf16']) g.output(g.add(x, weights.get(name)), name.replace('.', '_'));
      assert.equal(weights.get('a.f32'), weights.get('a.f32'), 'bound once');
      assert.throws(() => weights.get('a.ids'), /weights\.safetensors: tensor `a\.ids` is I64/);
      assert.throws(() => weights.get('a.missing'), /tensor `a\.missing` is missing/);
      const files = weights.externalFiles();
      assert.deepEqual(files.map((f) => f.location).sort(), ['weights.safetensors', 'weights.safetensors.bf16-as-float32.bin']);
      const session = inMemory
        ? await createWeightedSession(serializeModel(g), weights, { inMemory: true, session: { provider: 'cpu' } })
        : await createWeightedSession(serializeModel(g), weights, { modelPath: join(dir, 'weights.onnx'), session: { provider: 'cpu' } });
      const out = await session.run({ x: { dtype: 'float32', shape: [2, 2], data: new Float32Array(4) } });
      await session.release();
      for (const name of ['a_f32', 'a_f16', 'a_bf16']) assert.deepEqual(Array.from(out[name].data as Float32Array), values, `${name} (inMemory ${inMemory})`);
      file.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the files of a diffusers folder get distinct locations inside the folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-weights-'));
  try {
    const { mkdirSync } = await import('node:fs');
    const files: Record<string, string> = {};
    for (const component of ['unet', 'vae']) {
      mkdirSync(join(dir, component));
      files[component] = join(dir, component, 'diffusion_pytorch_model.safetensors');
      writeSafetensors(files[component], [{ name: 'w', dtype: 'F32', shape: [2], data: Float32Array.from(component === 'unet' ? [1, 2] : [3, 4]) }]);
    }
    const unet = openSafetensors(files.unet);
    const vae = openSafetensors(files.vae);
    const tensor = (file: ReturnType<typeof openSafetensors>) => ({ ...file.tensors.get('w')!, file: file.path });
    const source = {
      path: dir,
      tensors: new Map([['unet.w', tensor(unet)], ['vae.w', tensor(vae)]]),
      readRaw: () => Buffer.alloc(0),
    };
    const g = new Graph('diffusers');
    const weights = new CheckpointWeights(g, source);
    g.output(g.add(weights.get('unet.w'), weights.get('vae.w')), 'sum');
    assert.deepEqual(weights.externalFiles().map((f) => f.location).sort(), ['unet/diffusion_pytorch_model.safetensors', 'vae/diffusion_pytorch_model.safetensors']);
    const session = await createWeightedSession(serializeModel(g), weights, { inMemory: true, session: { provider: 'cpu' } });
    const out = await session.run({});
    await session.release();
    assert.deepEqual(Array.from(out.sum.data as Float32Array), [4, 6]);
    unet.close();
    vae.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
