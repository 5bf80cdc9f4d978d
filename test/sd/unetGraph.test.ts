import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, serializeModel } from '../../src/onnx';
import type { UnetArchitecture } from '../../src/sd/architecture';
import { timestepFeatures, unetEps } from '../../src/sd/unetGraph';
import { CheckpointWeights, createWeightedSession } from '../../src/sd/weights';
import { openSd1TinyFixture, relL2 } from './sd1TinyFixture';

const fixture = openSd1TinyFixture();
test.after(() => fixture.close());

async function runUnet(arch: UnetArchitecture): Promise<Float32Array> {
  const x = fixture.float('unet.x');
  const context = fixture.float('unet.context');
  const timesteps = Array.from(fixture.ints('unet.timesteps'), Number);
  const g = new Graph('unet');
  const weights = new CheckpointWeights(g, fixture.model);
  const mc = arch.modelChannels;
  const eps = unetEps(g, weights, arch, g.input('x', 'float32', x.shape), g.input('t', 'float32', [timesteps.length, mc]), g.input('context', 'float32', context.shape));
  g.output(eps, 'eps');
  const session = await createWeightedSession(serializeModel(g), weights, { inMemory: true, session: { provider: 'cpu' } });
  try {
    const out = await session.run({ x, context, t: { dtype: 'float32', shape: [timesteps.length, mc], data: timestepFeatures(timesteps, mc) } });
    return out.eps.data as Float32Array;
  } finally {
    await session.release();
  }
}

test('timestep features are cat(cos, sin) of t·exp(-ln(1e4)·i/half)', () => {
  const f = timestepFeatures([0, 999], 4); // half 2: frequencies 1 and 1e-2
  assert.deepEqual(Array.from(f.subarray(0, 4)), [1, 1, 0, 0]);
  assert.equal(f[4], Math.fround(Math.cos(999)));
  assert.equal(f[5], Math.fround(Math.cos(9.99)));
  assert.equal(f[6], Math.fround(Math.sin(999)));
  assert.equal(f[7], Math.fround(Math.sin(9.99)));
});

test('UNet eps matches the float64 reference within 1e-5 (t = 999 and 37)', async () => {
  const eps = await runUnet(fixture.arch.unet);
  const error = relL2(eps, fixture.float('unet.eps').data);
  assert.ok(error < 1e-5, `rel-L2 ${error}`);
});

test('the wrong head count is detected by the same comparison', async () => {
  const eps = await runUnet({ ...fixture.arch.unet, heads: 1 });
  assert.ok(relL2(eps, fixture.float('unet.eps').data) > 1e-4);
});

test('latent sizes the levels cannot halve are refused', () => {
  const g = new Graph('unet');
  const weights = new CheckpointWeights(g, fixture.model);
  const arch = fixture.arch.unet;
  assert.throws(
    () => unetEps(g, weights, arch, g.input('x', 'float32', [1, 4, 7, 8]), g.input('t', 'float32', [1, arch.modelChannels]), g.input('c', 'float32', [1, 77, arch.contextDim])),
    /multiples of 2/,
  );
});
