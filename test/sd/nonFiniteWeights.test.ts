// NaN and infinities found by their bits in every float dtype, whole or in spread windows, and
// named by tensor and element (bit patterns from IEEE 754 written out by hand).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNonFiniteGraphWeight, findNonFiniteWeight, firstNonFinite } from '../../src/sd/nonFiniteWeights';

const u16 = (...values: number[]) => Buffer.from(new Uint16Array(values).buffer);
const u32 = (...values: number[]) => Buffer.from(new Uint32Array(values).buffer);

test('the first non-finite element of each dtype, from its bits', () => {
  // F16: 0x3c00 = 1, 0x7bff = 65504 (largest finite), 0x7c00 = +Inf, 0xfc00 = −Inf, 0x7e00 = NaN
  assert.equal(firstNonFinite(u16(0x3c00, 0x7bff, 0xfbff), 'F16'), undefined);
  assert.deepEqual(firstNonFinite(u16(0x3c00, 0x7bff, 0x7c00), 'F16'), { element: 2, value: 'Infinity' });
  assert.deepEqual(firstNonFinite(u16(0xfc00), 'F16'), { element: 0, value: '-Infinity' });
  assert.deepEqual(firstNonFinite(u16(0x0001, 0x7e00), 'F16'), { element: 1, value: 'NaN' });
  // BF16: 0x7f7f = largest finite, 0x7f80 = +Inf, 0x7fc0 = NaN
  assert.equal(firstNonFinite(u16(0x7f7f, 0xff7f), 'BF16'), undefined);
  assert.deepEqual(firstNonFinite(u16(0x3f80, 0x7fc0), 'BF16'), { element: 1, value: 'NaN' });
  // F32: 0x7f7fffff = FLT_MAX, 0x7f800000 = +Inf, 0xff800001 = NaN
  assert.equal(firstNonFinite(u32(0x7f7fffff, 0x00000001), 'F32'), undefined);
  assert.deepEqual(firstNonFinite(u32(0x3f800000, 0xff800001), 'F32'), { element: 1, value: 'NaN' });
  assert.deepEqual(firstNonFinite(Buffer.from(new Float64Array([1, -Infinity]).buffer), 'F64'), { element: 1, value: '-Infinity' });
  assert.equal(firstNonFinite(Buffer.from(new Int32Array([0x7f800000]).buffer), 'I32'), undefined, 'integers are never non-finite');
});

test('tensors read by offset: whole when small, in windows when large; the graph’s tensors only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'es-nonfinite-'));
  try {
    const file = join(dir, 'weights.bin');
    const big = new Float32Array(1 << 20); // 4 MiB
    big[(1 << 20) - 3] = Number.POSITIVE_INFINITY; // inside the last window
    const small = new Float32Array([0.5, Number.NaN]);
    writeFileSync(file, Buffer.concat([Buffer.from(big.buffer), Buffer.from(small.buffer)]));
    const tensors = [
      { name: 'model.diffusion_model.big', dtype: 'F32' as const, file, fileOffset: 0, byteLength: big.byteLength },
      { name: 'model_ema.small', dtype: 'F32' as const, file, fileOffset: big.byteLength, byteLength: 8 },
    ];
    assert.deepEqual(findNonFiniteWeight(tensors, { wholeBytes: 1024, windows: 4, windowBytes: 4096 }), { name: 'model.diffusion_model.big', element: (1 << 20) - 3, value: 'Infinity' });
    big[(1 << 20) - 3] = 0;
    writeFileSync(file, Buffer.concat([Buffer.from(big.buffer), Buffer.from(small.buffer)]));
    assert.deepEqual(findNonFiniteWeight(tensors), { name: 'model_ema.small', element: 1, value: 'NaN' });
    // an EMA copy is not what the graphs read
    assert.equal(findNonFiniteGraphWeight(new Map(tensors.map((t) => [t.name, t]))), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
