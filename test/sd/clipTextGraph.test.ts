import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, serializeModel, type HostTensor } from '../../src/onnx';
import { clipTextHidden, clipTokenEmbeddings, injectionMatrix } from '../../src/sd/clipTextGraph';
import { CheckpointWeights, createWeightedSession } from '../../src/sd/weights';
import { openSd1TinyFixture, relL2 } from './sd1TinyFixture';

const fixture = openSd1TinyFixture();
test.after(() => fixture.close());
const te = fixture.arch.textEncoder;

async function encode(ids: BigInt64Array, batch: number, emb?: HostTensor, positions?: number[][]) {
  const g = new Graph('clip');
  const weights = new CheckpointWeights(g, fixture.model);
  const length = te.positions;
  const feeds: Record<string, HostTensor> = { ids: { dtype: 'int64', shape: [batch, length], data: ids } };
  let injection;
  if (emb && positions) {
    const vectors = emb.shape[0];
    injection = { emb: g.input('emb', 'float32', emb.shape), placement: g.input('placement', 'float32', [batch, length, vectors]) };
    feeds.emb = emb;
    feeds.placement = { dtype: 'float32', shape: [batch, length, vectors], data: injectionMatrix(positions, vectors, length) };
  }
  const tokens = clipTokenEmbeddings(g, weights, te, g.input('ids', 'int64', [batch, length]), injection);
  const [last, penultimate] = clipTextHidden(g, weights, te, tokens, [1, 2]);
  g.output(last, 'last');
  g.output(penultimate, 'penultimate');
  const session = await createWeightedSession(serializeModel(g), weights, { inMemory: true, session: { provider: 'cpu' } });
  try {
    const out = await session.run(feeds);
    return { last: out.last.data as Float32Array, penultimate: out.penultimate.data as Float32Array };
  } finally {
    await session.release();
  }
}

test('text encoder matches the float64 reference (last layer and CLIP skip 2) within 1e-5', async () => {
  const ids = fixture.ints('text_encoder.input_ids');
  const out = await encode(ids, 2);
  assert.ok(relL2(out.last, fixture.float('text_encoder.hidden_last').data) < 1e-5);
  assert.ok(relL2(out.penultimate, fixture.float('text_encoder.hidden_penultimate').data) < 1e-5);
});

test('injected vectors at positions 1..3 match the reference', async () => {
  const ids = fixture.ints('text_encoder_embeds.input_ids');
  const out = await encode(ids, 2, fixture.float('text_encoder_embeds.emb'), [[1, 2, 3], [1, 2, 3]]);
  assert.ok(relL2(out.last, fixture.float('text_encoder_embeds.hidden_last').data) < 1e-5);
  assert.ok(relL2(out.penultimate, fixture.float('text_encoder_embeds.hidden_penultimate').data) < 1e-5);
});

test("injecting a token's own embedding row at other positions per row reproduces the plain encoding", async () => {
  const ids = fixture.ints('text_encoder.input_ids');
  const length = te.positions;
  // row 0: tokens at positions 2 and 4; row 1: positions 5 and 1 (in that vector order)
  const positions = [[2, 4], [5, 1]];
  const table = fixture.model.readFloat32(`${te.prefix}embeddings.token_embedding.weight`);
  // the vectors are taken from row 0's tokens; row 1 gets the same ids written at its positions
  const patched = ids.slice();
  const vectors = new Float32Array(2 * te.width);
  positions[0].forEach((p, i) => {
    const id = Number(ids[p]);
    vectors.set(table.subarray(id * te.width, (id + 1) * te.width), i * te.width);
    patched[length + positions[1][i]] = BigInt(id);
  });
  const plain = await encode(patched, 2);
  const placeholderIds = patched.slice();
  positions.forEach((row, b) => row.forEach((p) => (placeholderIds[b * length + p] = 0n)));
  const injected = await encode(placeholderIds, 2, { dtype: 'float32', shape: [2, te.width], data: vectors }, positions);
  assert.ok(relL2(injected.last, plain.last) < 1e-7);
  assert.ok(relL2(injected.penultimate, plain.penultimate) < 1e-7);
});

test('CLIP skip beyond the layer count is refused with the range', () => {
  const g = new Graph('clip');
  const weights = new CheckpointWeights(g, fixture.model);
  const tokens = clipTokenEmbeddings(g, weights, te, g.input('ids', 'int64', [1, te.positions]));
  assert.throws(() => clipTextHidden(g, weights, te, tokens, [te.layers + 1]), new RegExp(`use 1\\.\\.${te.layers}`));
});
