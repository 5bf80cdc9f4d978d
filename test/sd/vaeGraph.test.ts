import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, serializeModel } from '../../src/onnx';
import { vaeDecode, vaeEncode } from '../../src/sd/vaeGraph';
import { CheckpointWeights, createWeightedSession } from '../../src/sd/weights';
import { openSd1TinyFixture, relL2 } from './sd1TinyFixture';

const fixture = openSd1TinyFixture();
test.after(() => fixture.close());
const arch = fixture.arch.vae;

test('VAE encode gives the reference posterior mean and clamped logvar within 1e-5', async () => {
  const image = fixture.float('vae_encode.image');
  const g = new Graph('vae_encode');
  const weights = new CheckpointWeights(g, fixture.model);
  const { mean, logvar } = vaeEncode(g, weights, arch, g.input('image', 'float32', image.shape));
  g.output(mean, 'mean');
  g.output(logvar, 'logvar');
  const session = await createWeightedSession(serializeModel(g), weights, { inMemory: true, session: { provider: 'cpu' } });
  const out = await session.run({ image });
  await session.release();
  assert.deepEqual(out.mean.shape, fixture.float('vae_encode.mean').shape);
  assert.ok(relL2(out.mean.data as Float32Array, fixture.float('vae_encode.mean').data) < 1e-5);
  assert.ok(relL2(out.logvar.data as Float32Array, fixture.float('vae_encode.logvar').data) < 1e-5);
});

test('VAE decode gives the reference image within 1e-5', async () => {
  const z = fixture.float('vae_decode.z');
  const g = new Graph('vae_decode');
  const weights = new CheckpointWeights(g, fixture.model);
  g.output(vaeDecode(g, weights, arch, g.input('z', 'float32', z.shape)), 'image');
  const session = await createWeightedSession(serializeModel(g), weights, { inMemory: true, session: { provider: 'cpu' } });
  const out = await session.run({ z });
  await session.release();
  assert.deepEqual(out.image.shape, [1, 3, 64, 64]);
  assert.ok(relL2(out.image.data as Float32Array, fixture.float('vae_decode.image').data) < 1e-5);
});

test('an image size the encoder cannot downsample evenly is refused', () => {
  const g = new Graph('vae_encode');
  const weights = new CheckpointWeights(g, fixture.model);
  assert.throws(() => vaeEncode(g, weights, arch, g.input('image', 'float32', [1, 3, 60, 64])), /multiple of 8/);
});
