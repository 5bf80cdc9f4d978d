import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors, writeSafetensors, writeSafetensorsStreaming, maxHeaderLength } from '../../src/sd/safetensors';
import { float16BitsToNumber, numberToFloat16Bits, float32ArrayToBfloat16, bfloat16ArrayToFloat32, float32ArrayToFloat16 } from '../../src/sd/float16';
import { fixtureDir, fp16FixtureModel } from './sd1TinyFixture';

const scratch = mkdtempSync(join(tmpdir(), 'safetensors-test-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

/** Builds a file byte by byte from a header object, so bad files can be crafted freely. */
function craft(name: string, header: unknown, dataBytes: number, options: { headerText?: string; lengthField?: bigint } = {}): string {
  const json = Buffer.from(options.headerText ?? JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(options.lengthField ?? BigInt(json.length));
  const path = join(scratch, name);
  writeFileSync(path, Buffer.concat([prefix, json, Buffer.alloc(dataBytes)]));
  return path;
}

test('round trip: values, dtypes, metadata, alignment and header padding', () => {
  const path = join(scratch, 'roundtrip.safetensors');
  const f32 = new Float32Array([1.5, -2.25, 3e-8, 65504]);
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555]); // 1, -2, 0.333251953125
  const i64 = new BigInt64Array([0n, 1n, 76n]);
  const u8 = new Uint8Array([7]);
  writeSafetensors(path, [
    { name: 'odd.u8', dtype: 'U8', shape: [1], data: u8 },
    { name: 'half', dtype: 'F16', shape: [3], data: f16 },
    { name: 'w', dtype: 'F32', shape: [2, 2], data: f32 },
    { name: 'ids', dtype: 'I64', shape: [1, 3], data: i64 },
  ], { format: 'pt', note: 'ü' });
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  assert.equal((8 + headerLength) % 8, 0, 'data section starts on an 8-byte boundary');
  const file = openSafetensors(path);
  try {
    assert.equal(file.dataStart, 8 + headerLength);
    assert.deepEqual(file.metadata, { format: 'pt', note: 'ü' });
    assert.deepEqual([...file.readFloat32('w')], [...f32]);
    assert.deepEqual([...file.readFloat32('half')], [1, -2, 0.333251953125]);
    assert.deepEqual([...file.readFloat32('ids')], [0, 1, 76]);
    assert.deepEqual([...file.readFloat32('odd.u8')], [7]);
    assert.deepEqual(file.tensors.get('w')!.shape, [2, 2]);
    // each tensor starts at a multiple of its own item size, with no holes between tensors
    const infos = [...file.tensors.values()].sort((a, b) => a.fileOffset - b.fileOffset);
    let expectedOffset = file.dataStart;
    for (const info of infos) {
      assert.equal(info.fileOffset, expectedOffset, `${info.name} follows the previous tensor`);
      expectedOffset += info.byteLength;
    }
    assert.equal(expectedOffset, bytes.length);
    for (const info of infos) {
      const itemSize = { F32: 4, F16: 2, I64: 8, U8: 1 }[info.dtype as 'F32'];
      assert.equal(info.fileOffset % itemSize, 0, `${info.name} aligned`);
    }
    // the raw bytes are exactly what was given
    assert.deepEqual(new Uint8Array(file.readRaw('ids')), new Uint8Array(i64.buffer));
    // the header JSON read independently
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    assert.deepEqual(header.half.shape, [3]);
    assert.equal(header.half.dtype, 'F16');
  } finally {
    file.close();
  }
});

test('streaming writer produces the same bytes as the in-memory writer', () => {
  const tensors = [
    { name: 'a', dtype: 'F16' as const, shape: [5], data: new Uint16Array([1, 2, 3, 4, 5]) },
    { name: 'b', dtype: 'F32' as const, shape: [2], data: new Float32Array([0.5, 0.25]) },
  ];
  writeSafetensors(join(scratch, 'mem.safetensors'), tensors, { k: 'v' });
  writeSafetensorsStreaming(join(scratch, 'stream.safetensors'), tensors, (spec) => tensors.find((t) => t.name === spec.name)!.data, { k: 'v' });
  assert.deepEqual(readFileSync(join(scratch, 'stream.safetensors')), readFileSync(join(scratch, 'mem.safetensors')));
});

test('writer refuses data whose size does not match shape and dtype', () => {
  assert.throws(
    () => writeSafetensors(join(scratch, 'bad.safetensors'), [{ name: 'x', dtype: 'F32', shape: [3], data: new Float32Array(2) }]),
    /`x`: 8 data bytes given, its shape and dtype need 12/,
  );
});

test('validation: truncated, oversized, non-JSON, unknown dtype, size mismatch, out of range, overlap', () => {
  const tiny = join(scratch, 'tiny.safetensors');
  writeFileSync(tiny, Buffer.from([1, 2, 3]));
  assert.throws(() => openSafetensors(tiny), (e: Error) => e.message.includes(tiny) && /3 bytes long, too short/.test(e.message));

  const huge = craft('huge.safetensors', {}, 0, { lengthField: BigInt(maxHeaderLength + 1) });
  assert.throws(() => openSafetensors(huge), /huge\.safetensors: the header length field says 104857601 bytes, over the 104857600-byte limit/);

  const cutHeader = craft('cut.safetensors', {}, 0, { headerText: '{"a": 1', lengthField: 100n });
  assert.throws(() => openSafetensors(cutHeader), /cut\.safetensors: the header needs 100 bytes but the file has only 7 .* truncated/);

  const notJson = craft('notjson.safetensors', {}, 0, { headerText: '{not json}' });
  assert.throws(() => openSafetensors(notJson), /notjson\.safetensors: the safetensors header is not valid JSON/);

  const notObject = craft('array.safetensors', [], 0);
  assert.throws(() => openSafetensors(notObject), /array\.safetensors: the safetensors header is not a JSON object/);

  const unknownDtype = craft('dtype.safetensors', { x: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, 2);
  assert.throws(() => openSafetensors(unknownDtype), /dtype\.safetensors: tensor `x` has unknown dtype "F8_E4M3"/);

  const mismatch = craft('mismatch.safetensors', { x: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20);
  assert.throws(() => openSafetensors(mismatch), /mismatch\.safetensors: tensor `x`: shape \[2, 3\] × 4 bytes \(F32\) = 24 bytes, but data_offsets \[0, 20\] span 20 bytes/);

  const outOfRange = craft('range.safetensors', { x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 12);
  assert.throws(() => openSafetensors(outOfRange), /range\.safetensors: tensor `x` ends at data byte 16 but the file has only 12 data bytes — the file is truncated/);

  const overlap = craft('overlap.safetensors', {
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
  }, 12);
  assert.throws(() => openSafetensors(overlap), /overlap\.safetensors: tensors `a` \[0, 8\) and `b` \[4, 12\) overlap/);

  // an empty tensor between two overlapping ones must not hide the overlap
  const hidden = craft('hidden.safetensors', {
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
    c: { dtype: 'F32', shape: [1], data_offsets: [6, 10] },
  }, 12);
  assert.throws(() => openSafetensors(hidden), /hidden\.safetensors: tensors `a` \[0, 8\) and `c` \[6, 10\) overlap/);

  const badOffsets = craft('offsets.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, 12);
  assert.throws(() => openSafetensors(badOffsets), /offsets\.safetensors: tensor `a` has invalid data_offsets \[8,4\]/);

  const badShape = craft('shape.safetensors', { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4);
  assert.throws(() => openSafetensors(badShape), /shape\.safetensors: tensor `a` has an invalid shape \[-1\]/);

  const badMetadata = craft('meta.safetensors', { __metadata__: { step: 5 } }, 0);
  assert.throws(() => openSafetensors(badMetadata), /meta\.safetensors: metadata `step` is not a string/);

  const pickle = join(scratch, 'renamed.safetensors');
  writeFileSync(pickle, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60, 0x41)]));
  assert.throws(() => openSafetensors(pickle), /pickled PyTorch file/);

  assert.throws(() => openSafetensors(join(scratch, 'missing.safetensors')), /missing\.safetensors: cannot open the file \(ENOENT\)/);
});

test('an empty tensor and zero-sized shapes are accepted', () => {
  const path = craft('empty.safetensors', { e: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] }, s: { dtype: 'F32', shape: [], data_offsets: [0, 4] } }, 4);
  const file = openSafetensors(path);
  assert.equal(file.readFloat32('e').length, 0);
  assert.equal(file.readFloat32('s').length, 1);
  assert.throws(() => file.readFloat32('nope'), /empty\.safetensors: tensor `nope` is not in this file/);
  file.close();
});

test('cases.safetensors matches the shape/dtype index in cases.json', () => {
  const index = JSON.parse(readFileSync(join(fixtureDir, 'cases.json'), 'utf8')).tensors as Record<string, { dtype: string; shape: number[] }>;
  const file = openSafetensors(join(fixtureDir, 'cases.safetensors'));
  try {
    assert.equal(file.tensors.size, Object.keys(index).length);
    for (const [name, expected] of Object.entries(index)) {
      const info = file.tensors.get(name);
      assert.ok(info, `${name} present`);
      assert.equal(info.dtype, expected.dtype, name);
      assert.deepEqual(info.shape, expected.shape, name);
    }
    // SD1 padding as the fixture README describes: BOS, ..., then EOS to the end
    const ids = file.readFloat32('text_encoder.input_ids');
    assert.equal(ids[0], 49406);
    assert.equal(ids[76], 49407);
  } finally {
    file.close();
  }
});

test('fixture model: real layout, shapes from config.json, and the (derived) fp16 copy equals the f32 weights rounded', () => {
  const config = JSON.parse(readFileSync(join(fixtureDir, 'config.json'), 'utf8'));
  const f32 = openSafetensors(join(fixtureDir, 'model.safetensors'));
  const f16 = openSafetensors(fp16FixtureModel());
  try {
    assert.equal(f32.metadata.format, 'pt');
    const te = config.text_encoder;
    assert.deepEqual(f32.tensors.get('cond_stage_model.transformer.text_model.embeddings.token_embedding.weight')!.shape, [te.vocab_size, te.width]);
    assert.deepEqual(f32.tensors.get('cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc1.weight')!.shape, [te.mlp_dim, te.width]);
    assert.deepEqual(f32.tensors.get('model.diffusion_model.input_blocks.0.0.weight')!.shape, [config.unet.model_channels, config.unet.in_channels, 3, 3]);
    assert.deepEqual(f32.tensors.get('first_stage_model.quant_conv.weight')!.shape, [2 * config.vae.embed_dim, 2 * config.vae.z_channels, 1, 1]);
    const positionIds = f32.tensors.get('cond_stage_model.transformer.text_model.embeddings.position_ids')!;
    assert.equal(positionIds.dtype, 'I64');
    assert.deepEqual([...f32.readFloat32(positionIds.name)], Array.from({ length: 77 }, (_, i) => i));
    // every tensor of the fp16 file is the f32 tensor rounded to the nearest half
    const name = 'model.diffusion_model.input_blocks.1.1.proj_in.weight';
    assert.equal(f16.tensors.get(name)!.dtype, 'F16');
    const full = f32.readFloat32(name);
    const half = f16.readFloat32(name);
    for (let i = 0; i < full.length; i++) {
      assert.equal(half[i], float16BitsToNumber(numberToFloat16Bits(full[i])));
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(full[i]) || 2 ** -14)) - 10);
      assert.ok(Math.abs(half[i] - full[i]) <= ulp / 2 + 2 ** -25, `${i}: ${half[i]} vs ${full[i]}`);
    }
  } finally {
    f32.close();
    f16.close();
  }
});

test('float16 and bfloat16 conversions on hand-checked values', () => {
  assert.equal(numberToFloat16Bits(1), 0x3c00);
  assert.equal(numberToFloat16Bits(-2), 0xc000);
  assert.equal(numberToFloat16Bits(65504), 0x7bff);
  assert.equal(numberToFloat16Bits(65520), 0x7c00); // halfway past the max rounds to infinity
  assert.equal(numberToFloat16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(numberToFloat16Bits(2 ** -25), 0x0000); // tie rounds to even (zero)
  assert.equal(numberToFloat16Bits(3 * 2 ** -25), 0x0002); // 1.5 subnormal ulps, tie to even = 2
  assert.equal(numberToFloat16Bits(1 + 2 ** -11), 0x3c00); // tie between 1 and 1+2^-10 → even
  assert.equal(numberToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02); // tie → even mantissa 2
  assert.equal(numberToFloat16Bits(-0), 0x8000);
  assert.ok(Number.isNaN(float16BitsToNumber(numberToFloat16Bits(NaN))));
  assert.equal(float16BitsToNumber(0x3555), 0.333251953125);
  assert.equal(float16BitsToNumber(0x0400), 2 ** -14);
  assert.equal(float16BitsToNumber(0xfc00), -Infinity);
  const bf = float32ArrayToBfloat16([1, -2.5, 1 + 2 ** -8, 1 + 3 * 2 ** -8]);
  assert.deepEqual([...bf], [0x3f80, 0xc020, 0x3f80, 0x3f82]);
  assert.deepEqual([...bfloat16ArrayToFloat32(bf)], [1, -2.5, 1, 1 + 2 ** -6]);
});

test('bulk float32 → float16 agrees with the scalar rounding on every kind of value', () => {
  const values = Float32Array.from([0, -0, 1, -2, 65504, 65520, 1e6, -1e6, 2 ** -14, 2 ** -15, 3 * 2 ** -25, 2 ** -30, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Infinity, -Infinity, NaN, 0.1, -0.3333]);
  const random = new Float32Array(10_000);
  for (let i = 0; i < random.length; i++) random[i] = (Math.sin(i * 12.9898) * 43758.5453 % 1) * 2 ** ((i % 40) - 20);
  for (const array of [values, random]) {
    const bulk = float32ArrayToFloat16(array);
    for (let i = 0; i < array.length; i++) assert.equal(bulk[i], numberToFloat16Bits(array[i]), `${array[i]}`);
  }
});
