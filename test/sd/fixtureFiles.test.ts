// The sd1-tiny fixture as the repository carries it: every stored file is the one the fixture
// set published (SHA256SUMS), and the float16 model, which is not stored, is derived from the
// float32 one to the very byte (the same SHA-256 as the published model-fp16.safetensors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { float16BitsToNumber } from '../../src/sd/float16';
import { openSafetensors } from '../../src/sd/safetensors';
import { fixtureDir, fixtureModel, fp16FixtureModel } from './sd1TinyFixture';

const sums = new Map(
  readFileSync(join(fixtureDir, 'SHA256SUMS'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [sum, name] = line.split(/\s+/);
      return [name, sum] as const;
    }),
);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('every stored fixture file is the published one', () => {
  const stored = [...sums.keys()].filter((name) => name !== 'model-fp16.safetensors');
  assert.deepEqual(stored.sort(), ['README.md', 'cases.json', 'cases.safetensors', 'config.json', 'model.safetensors']);
  for (const name of stored) assert.equal(sha256(join(fixtureDir, name)), sums.get(name), `${name} differs from the published fixture`);
  assert.ok(!existsSync(join(fixtureDir, 'model-fp16.safetensors')), 'the fp16 model is derived, not stored');
});

test('the derived model-fp16.safetensors is byte for byte the published one', () => {
  assert.equal(sha256(fp16FixtureModel()), sums.get('model-fp16.safetensors'));
});

test('the fp16 derivation is the cast rule: each F32 value to its nearest half (ties to even), int64 kept, same names, shapes and order', () => {
  const f32 = openSafetensors(fixtureModel);
  const f16 = openSafetensors(fp16FixtureModel());
  try {
    const order = (file: typeof f32) => [...file.tensors.values()].sort((a, b) => a.fileOffset - b.fileOffset).map((t) => t.name);
    assert.deepEqual(order(f16), order(f32));
    assert.deepEqual(f16.metadata, { ...f32.metadata, description: `${f32.metadata.description}, float16 copy` });
    let checked = 0;
    for (const info of f32.tensors.values()) {
      const half = f16.tensors.get(info.name)!;
      assert.deepEqual(half.shape, info.shape, info.name);
      if (info.dtype !== 'F32') {
        assert.equal(half.dtype, info.dtype, info.name);
        assert.ok(f16.readRaw(info.name).equals(f32.readRaw(info.name)), `${info.name} is copied unchanged`);
        continue;
      }
      assert.equal(half.dtype, 'F16', info.name);
      const values = f32.readFloat32(info.name);
      const raw = f16.readRaw(info.name);
      for (let i = 0; i < values.length; i++) {
        // Checked from the decoded halves only: the bit pattern is the nearest one of its two
        // neighbours, and of two equally near the one with an even last bit.
        const bits = raw.readUInt16LE(2 * i);
        const x = values[i];
        const here = Math.abs(float16BitsToNumber(bits) - x);
        for (const neighbour of [bits - 1, bits + 1]) {
          if ((neighbour & 0x7fff) > 0x7bff || neighbour < 0 || (neighbour ^ bits) & 0x8000) continue; // past ±max or across the sign
          const there = Math.abs(float16BitsToNumber(neighbour) - x);
          if (there < here || (there === here && (bits & 1) === 1)) assert.fail(`${info.name}[${i}] = ${x}: half 0x${bits.toString(16)} is not the nearest-even half`);
        }
        checked++;
      }
    }
    assert.ok(checked > 5_000_000, `${checked} values checked`);
  } finally {
    f32.close();
    f16.close();
  }
});
