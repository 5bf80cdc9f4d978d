import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ClipTokenizer } from '../../src/sd/clipTokenizer';
import { encodeTrainingPrompt } from '../../src/train/trainingPrompt';
import { createEmbedding, assertCanWriteEmbedding } from '../../src/train/createEmbedding';

const tokenizer = ClipTokenizer.fromBpeFile(join(__dirname, '../../../shared/clip-vocab/bpe_simple_vocab_16e6.txt.gz'));

test('the embedding name becomes `vectors` slots wherever it occurs; BOS/EOS/padding to 77', () => {
  const nameTokens = tokenizer.tokenize('mikuemb');
  const encoded = encodeTrainingPrompt(tokenizer, 'a picture of mikuemb, blue hair', 'mikuemb', 3, true);
  const a = tokenizer.tokenize('a picture of');
  const rest = tokenizer.tokenize(', blue hair');
  assert.equal(encoded.ids.length, 77);
  assert.deepEqual(encoded.ids.slice(0, 1 + a.length + 3 + rest.length + 1), [49406, ...a, 0, 0, 0, ...rest, 49407]);
  assert.ok(encoded.ids.slice(1 + a.length + 3 + rest.length + 1).every((id) => id === 49407));
  assert.deepEqual(encoded.slots, [[1 + a.length, 0], [2 + a.length, 1], [3 + a.length, 2]]);
  assert.ok(nameTokens.length >= 1);
  assert.ok(encoded.weights.every((w) => w === 1));
});

test('emphasis weights follow the tokens, including the embedding slots', () => {
  const encoded = encodeTrainingPrompt(tokenizer, '(mikuemb:1.5), [smile]', 'mikuemb', 2, true);
  assert.deepEqual(encoded.weights.slice(0, 3), [1, 1.5, 1.5]);
  const smile = tokenizer.tokenize('smile')[0];
  const at = encoded.ids.indexOf(smile);
  assert.ok(Math.abs(encoded.weights[at] - 1 / 1.1) < 1e-12);
  const plain = encodeTrainingPrompt(tokenizer, '(mikuemb:1.5)', 'mikuemb', 2, false);
  assert.ok(plain.weights.every((w) => w === 1));
  assert.equal(plain.slots.length, 2);
});

test('prompts over 75 tokens are cut and say so', () => {
  const long = Array.from({ length: 100 }, () => 'cat').join(' ');
  const encoded = encodeTrainingPrompt(tokenizer, `mikuemb ${long}`, 'mikuemb', 1, true);
  assert.equal(encoded.truncated, true);
  assert.equal(encoded.ids[76], 49407);
  assert.equal(encoded.ids[75], tokenizer.tokenize('cat')[0]);
});

test('create embedding: rows from the init text tokens, repeated to the vector count', () => {
  const width = 3;
  const row = (id: number) => new Float32Array([id, id + 0.5, -id]);
  const ids = tokenizer.tokenize('red hair'); // two tokens
  assert.equal(ids.length, 2);
  const { embedding, advice } = createEmbedding({ name: 'x', vectors: 4, initText: 'red hair', tokenEmbedding: row, width, tokenizer });
  // row i takes token floor(i·2/4): 0, 0, 1, 1
  const expected = [ids[0], ids[0], ids[1], ids[1]].flatMap((id) => [...row(id)]);
  assert.deepEqual([...embedding.vectors], expected);
  assert.match(advice, /clearer, but generating from the single tag is still poor/);
  const truncated = createEmbedding({ name: 'x', vectors: 1, initText: 'red hair', tokenEmbedding: row, width, tokenizer }).embedding;
  assert.deepEqual([...truncated.vectors], [...row(ids[0])]);
  const star = createEmbedding({ name: 'x', vectors: 1, initText: '*', tokenEmbedding: row, width, tokenizer }).embedding;
  assert.equal(star.vectors[0], 265); // '*' is CLIP token 265, the id A1111 writes in string_to_token
  const zeros = createEmbedding({ name: 'x', vectors: 2, initText: '', tokenEmbedding: row, width, tokenizer }).embedding;
  assert.ok(zeros.vectors.every((v) => v === 0));
  assert.throws(() => createEmbedding({ name: 'x', vectors: 61, initText: '*', tokenEmbedding: row, width, tokenizer }), /refused/);
  assert.throws(() => assertCanWriteEmbedding(__filename, false), /already exists.*--overwrite/);
});
