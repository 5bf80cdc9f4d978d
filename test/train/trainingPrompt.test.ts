import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClipTokenizer } from '../../src/sd/clipTokenizer';
import { encodeTrainingPrompt, padToChunks } from '../../src/train/trainingPrompt';
import { createEmbedding, assertCanWriteEmbedding } from '../../src/train/createEmbedding';

const tokenizer = ClipTokenizer.fromBpeFile(join(__dirname, '../../resources/clip/bpe_simple_vocab_16e6.txt.gz'));

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

// Independent expected values: test/train/data/a1111PromptChunks.json was computed by AUTOMATIC1111's
// own parse_prompt_attention and tokenize_line (v1.10) with the reference tokenizer, by
// scripts/reference/a1111_prompt_chunks.py. Chunks, ids, weights and token counts must be the
// same; slots too, except in upstream's two quirks, checked below.
interface A1111Case {
  prompt: string;
  name: string;
  vectors: number;
  tokenCount: number;
  chunks: { tokens: number[]; multipliers: number[]; fixes: number[] }[];
}
const a1111 = JSON.parse(readFileSync(join(__dirname, 'data/a1111PromptChunks.json'), 'utf8')) as { cases: A1111Case[] };
const bracketedBreak = '(red BREAK blue:1.2)';
const movedEmbedding = (c: A1111Case) => c.chunks.some((chunk) => chunk.fixes.some((offset) => chunk.tokens[offset + 1] !== 0));

test("long prompts, BREAK and the comma backtrack give A1111's chunks, ids, weights and token count", () => {
  let compared = 0;
  for (const c of a1111.cases) {
    if (c.prompt === bracketedBreak) continue;
    const ours = encodeTrainingPrompt(tokenizer, c.prompt, c.name, c.vectors, true);
    assert.equal(ours.chunks, c.chunks.length, c.prompt);
    assert.deepEqual(ours.ids, c.chunks.flatMap((chunk) => chunk.tokens), c.prompt);
    ours.weights.forEach((w, i) => assert.ok(Math.abs(w - c.chunks.flatMap((chunk) => chunk.multipliers)[i]) < 1e-12, `${c.prompt}: weight ${i}`));
    assert.equal(ours.tokenCount, c.tokenCount, c.prompt);
    if (!movedEmbedding(c)) {
      const slots = c.chunks.flatMap((chunk, k) => chunk.fixes.flatMap((offset) => Array.from({ length: c.vectors }, (_, row) => [k * 77 + offset + 1 + row, row])));
      assert.deepEqual(ours.slots, slots, c.prompt);
    }
    compared++;
  }
  assert.ok(compared >= 20);
});

test('deliberate differences: a bracketed BREAK still breaks; a backtracked embedding keeps its vectors', () => {
  // A1111 turns the BREAK into the word "break" with weight -1.2; ours ends the chunk
  const upstream = a1111.cases.find((c) => c.prompt === bracketedBreak)!;
  assert.ok(upstream.chunks[0].multipliers.some((m) => Math.abs(m + 1.2) < 1e-9));
  const ours = encodeTrainingPrompt(tokenizer, bracketedBreak, 'tiemb', 1, true);
  assert.equal(ours.chunks, 2);
  assert.deepEqual(ours.ids.slice(0, 3), [49406, tokenizer.tokenize('red')[0], 49407]);
  assert.deepEqual(ours.ids.slice(77, 80), [49406, tokenizer.tokenize('blue')[0], 49407]);
  assert.ok(Math.abs(ours.weights[1] - 1.2) < 1e-12 && Math.abs(ours.weights[78] - 1.2) < 1e-12);
  // A1111 moves the tokens after the comma to the next chunk but leaves the vectors' fix at the old
  // offset (in the first chunk's padding); ours moves the slots with their tokens
  const moved = a1111.cases.find(movedEmbedding)!;
  const mine = encodeTrainingPrompt(tokenizer, moved.prompt, moved.name, moved.vectors, true);
  const zeros = moved.chunks.flatMap((chunk) => chunk.tokens).flatMap((id, i) => (id === 0 ? [i] : []));
  assert.deepEqual(mine.slots.map(([p]) => p), zeros);
  assert.ok(zeros[0] >= 77);
});

test('BREAK only with emphasis on (A1111 parses it as part of the emphasis syntax); batch padding is empty chunks', () => {
  const off = encodeTrainingPrompt(tokenizer, 'a BREAK b', 'tiemb', 1, false);
  assert.equal(off.chunks, 1);
  assert.deepEqual(off.ids.slice(1, 4), tokenizer.tokenize('a break b'));
  const padded = padToChunks(off, 3);
  assert.equal(padded.ids.length, 231);
  assert.deepEqual(padded.ids.slice(77, 79), [49406, 49407]);
  assert.ok(padded.ids.slice(78, 154).every((id) => id === 49407) && padded.weights.every((w) => w === 1));
  assert.throws(() => padToChunks(padded, 2), /cannot pad/);
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
