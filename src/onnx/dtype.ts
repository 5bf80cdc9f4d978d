// Element types the builder knows, with their ONNX TensorProto codes and JS array types.

export type DType = 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'bool';

export const onnxDataType: Record<DType, number> = {
  float32: 1,
  bool: 9,
  float16: 10,
  float64: 11,
  int32: 6,
  int64: 7,
};

export const dtypeBytes: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int64: 8,
  int32: 4,
  bool: 1,
};

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

export type TensorData = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

/** Encodes values as the raw little-endian bytes of a tensor of `dtype` (float16: numbers, or raw bits in a Uint16Array). */
export function encodeTensorBytes(values: ArrayLike<number | bigint | boolean>, dtype: DType): Uint8Array {
  const n = values.length;
  // Typed arrays of the right kind are copied as bytes (large constants, e.g. embedding rows).
  if ((dtype === 'float32' && values instanceof Float32Array) || (dtype === 'float64' && values instanceof Float64Array) || (dtype === 'int32' && values instanceof Int32Array)) {
    return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  }
  // For float16, a Uint16Array is taken as raw half-precision bits (as read from a checkpoint).
  if (dtype === 'float16' && values instanceof Uint16Array) return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  let array: TensorData;
  switch (dtype) {
    case 'float32': array = Float32Array.from(values as ArrayLike<number>, Number); break;
    case 'float64': array = Float64Array.from(values as ArrayLike<number>, Number); break;
    case 'int32': array = Int32Array.from(values as ArrayLike<number>, Number); break;
    case 'int64': array = BigInt64Array.from({ length: n }, (_, i) => BigInt(values[i] as number | bigint)); break;
    case 'bool': array = Uint8Array.from({ length: n }, (_, i) => (values[i] ? 1 : 0)); break;
    case 'float16': array = Uint16Array.from({ length: n }, (_, i) => float32ToFloat16Bits(Number(values[i]))); break;
  }
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round-to-nearest-even float32 -> IEEE half bits. */
export function float32ToFloat16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}
