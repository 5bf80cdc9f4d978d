// IEEE half precision (F16) and bfloat16 (BF16) conversions. Checkpoints store weights in
// either; we compute in float32, so every read and every fp16 write goes through here.

const float32Scratch = new Float32Array(1);
const uint32Scratch = new Uint32Array(float32Scratch.buffer);

/** Decodes one IEEE 754 binary16 bit pattern to a number (exact: every half is a float32). */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

// All 65536 halves decoded once: a table lookup is the fastest conversion for GB-sized files.
let float16Table: Float32Array | undefined;
function float16ToFloat32Table(): Float32Array {
  if (!float16Table) {
    float16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) float16Table[bits] = float16BitsToNumber(bits);
  }
  return float16Table;
}

/** Converts half-precision bit patterns to float32 values. */
export function float16ArrayToFloat32(halves: Uint16Array): Float32Array {
  const table = float16ToFloat32Table();
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
  return out;
}

/** Rounds a number to the nearest binary16 (ties to even), returning its bit pattern. */
export function numberToFloat16Bits(value: number): number {
  float32Scratch[0] = value; // first to float32; the double rounding cannot matter for halves
  const x = uint32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // overflow to infinity
  if (halfExponent <= 0) {
    // subnormal half (or zero): shift the implicit bit in, round to nearest even
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    const halfMantissa = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const roundUp = remainder > halfway || (remainder === halfway && (halfMantissa & 1) === 1);
    return sign | (halfMantissa + (roundUp ? 1 : 0));
  }
  const halfMantissa = mantissa >>> 13;
  const remainder = mantissa & 0x1fff;
  const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (halfMantissa & 1) === 1);
  // a carry out of the mantissa correctly bumps the exponent (and reaches Inf at the top)
  return sign | ((halfExponent << 10) + halfMantissa + (roundUp ? 1 : 0));
}

/** Converts float32 values to half-precision bit patterns (round to nearest even). */
export function float32ArrayToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  if (!(values instanceof Float32Array)) {
    for (let i = 0; i < values.length; i++) out[i] = numberToFloat16Bits(values[i]);
    return out;
  }
  // the same rounding as numberToFloat16Bits, inlined over the bits: multi-GB checkpoints go through here
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const exponent = (x >>> 23) & 0xff;
    const halfExponent = exponent - 112;
    if (halfExponent > 0 && halfExponent < 0x1f) {
      const mantissa = x & 0x7fffff;
      const halfMantissa = mantissa >>> 13;
      const remainder = mantissa & 0x1fff;
      const roundUp = remainder > 0x1000 || (remainder === 0x1000 && (halfMantissa & 1) === 1) ? 1 : 0;
      out[i] = ((x >>> 16) & 0x8000) | ((halfExponent << 10) + halfMantissa + roundUp);
    } else {
      out[i] = numberToFloat16Bits(values[i]); // zero, subnormal, overflow, Inf, NaN
    }
  }
  return out;
}

/** Converts bfloat16 bit patterns (the top 16 bits of a float32) to float32 values. */
export function bfloat16ArrayToFloat32(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) outBits[i] = halves[i] << 16;
  return out;
}

/** Rounds float32 values to bfloat16 (nearest even), returning the bit patterns. */
export function float32ArrayToBfloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    float32Scratch[0] = values[i];
    const x = uint32Scratch[0];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
      out[i] = (x >>> 16) | 0x40; // keep NaN a NaN
      continue;
    }
    const roundingBias = 0x7fff + ((x >>> 16) & 1);
    out[i] = ((x + roundingBias) >>> 16) & 0xffff;
  }
  return out;
}
