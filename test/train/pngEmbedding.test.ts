import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { embeddingTextChunk, parsePythonJson, readPngEmbedding } from '../../src/train/pngEmbedding';
import { insertPngTextChunks } from '../../src/train/pngTextChunks';

// Made by AUTOMATIC1111's own image_embedding.py (embedding_to_b64, insert_image_data_embed) and
// PIL, by scripts/reference/a1111_png_embeddings.py: a preview with A1111's data border and its
// `sd-ti-embedding` text chunk, the same image without the text chunk, and what they hold.
const data = join(__dirname, 'data');
const expected = JSON.parse(readFileSync(join(data, 'a1111-embedding.json'), 'utf8')) as { name: string; step: number; shape: [number, number]; vectors: number[]; b64: string };

function assertHoldsExpected(e: { vectors: Float32Array; count: number; width: number; name: string | null; step: number | null }) {
  assert.deepEqual([e.count, e.width], expected.shape);
  assert.deepEqual([...e.vectors], [...Float32Array.from(expected.vectors)]);
  assert.ok(Object.is(e.vectors[0], -0), '-0.0 stays -0');
  assert.equal(e.name, expected.name);
  assert.equal(e.step, expected.step);
}

test("A1111's PNG embeddings read: the sd-ti-embedding text chunk and the pixel border", () => {
  assertHoldsExpected(readPngEmbedding(readFileSync(join(data, 'a1111-embedding.png')), 'a1111-embedding.png'));
  assertHoldsExpected(readPngEmbedding(readFileSync(join(data, 'a1111-embedding-pixels.png')), 'a1111-embedding-pixels.png'));
  // through the embedding reader (--init-embedding, continue training)
  const viaFile = readEmbeddingFile(join(data, 'a1111-embedding-pixels.png'));
  assertHoldsExpected(viaFile);
  assert.equal(viaFile.checkpointHash, 'abcdef12');
});

test("our sd-ti-embedding text is what A1111's embedding_to_b64 writes for the same embedding, byte for byte", () => {
  const [count, width] = expected.shape;
  const ours = embeddingTextChunk({ vectors: Float32Array.from(expected.vectors), count, width, name: expected.name, step: expected.step, checkpointHash: 'abcdef12', checkpointName: 'tiny' });
  assert.equal(ours, expected.b64);
});

test("non-finite values are written as Python's json writes them and read back", () => {
  const chunk = embeddingTextChunk({ vectors: new Float32Array([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0]), count: 2, width: 2, name: 'x', step: 3, checkpointHash: null, checkpointName: null });
  const json = Buffer.from(chunk, 'base64').toString('utf8');
  // python3: json.dumps([[float('nan'), float('inf')], [-float('inf'), -0.0]]) == '[[NaN, Infinity], [-Infinity, -0.0]]'
  assert.match(json, /"TORCHTENSOR": \[\[NaN, Infinity\], \[-Infinity, -0\.0\]\]/);
  const back = parsePythonJson(json) as { string_to_param: { '*': { TORCHTENSOR: number[][] } }; step: number };
  const [[a, b], [c, d]] = back.string_to_param['*'].TORCHTENSOR;
  assert.ok(Number.isNaN(a) && b === Infinity && c === -Infinity && Object.is(d, -0));
  assert.equal(back.step, 3);
  assert.deepEqual(parsePythonJson('{"s": "NaN, Infinity", "v": [NaN]}'), { s: 'NaN, Infinity', v: [Number.NaN] });
});

test('a PNG without an embedding, or not a PNG, gets an error naming the file and what to use', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'png-emb-'));
  try {
    const plain = join(dir, 'plain.png');
    writeFileSync(plain, insertPngTextChunks(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#406080' } }).png().toBuffer(), { parameters: 'x' }));
    assert.throws(() => readEmbeddingFile(plain), /plain\.png: this PNG carries no embedding .*use the \.pt or \.safetensors file/);
    const webp = join(dir, 'e.webp');
    writeFileSync(webp, await sharp({ create: { width: 8, height: 8, channels: 3, background: '#406080' } }).webp().toBuffer());
    assert.throws(() => readEmbeddingFile(webp), /e\.webp: not a PNG file; embeddings are read from PNG images only/);
    const truncated = join(dir, 'cut.png');
    writeFileSync(truncated, readFileSync(join(data, 'a1111-embedding.png')).subarray(0, 5000));
    assert.throws(() => readEmbeddingFile(truncated), /cut\.png: the PNG is truncated/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
