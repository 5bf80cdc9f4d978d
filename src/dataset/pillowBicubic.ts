// Bicubic resampling computed the way Pillow does it (Resample.c), because the WD14 taggers were
// trained on images prepared with PIL `resize(size, Image.BICUBIC)`: cubic kernel a = −0.5 whose
// support widens with the reduction factor (antialiasing), a horizontal then a vertical pass, and
// 8-bit fixed-point coefficients (22 fractional bits) with rounding and clipping after each pass.
// libvips' cubic differs when enlarging (pixel-centre convention), by up to ~90 levels at edges.

const precisionBits = 32 - 8 - 2;

function cubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coefficients {
  /** First input index of each output sample. */
  starts: Int32Array;
  /** Number of taps of each output sample. */
  counts: Int32Array;
  /** Fixed-point weights (whole numbers, held as doubles so sums never leave exact integer range or deoptimise), `taps` per output sample. */
  weights: Float64Array;
  taps: number;
}

function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const starts = new Int32Array(outSize);
  const counts = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  const k = new Float64Array(taps);
  for (let xx = 0; xx < outSize; xx++) {
    const centre = (xx + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(centre - support + 0.5));
    const count = Math.min(inSize, Math.trunc(centre + support + 0.5)) - xmin;
    let total = 0;
    for (let x = 0; x < count; x++) total += k[x] = cubic((x + xmin - centre + 0.5) / filterScale);
    for (let x = 0; x < count; x++) {
      const w = total !== 0 ? k[x] / total : 0;
      // Pillow rounds half away from zero when converting to fixed point.
      weights[xx * taps + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << precisionBits)) : Math.trunc(0.5 + w * (1 << precisionBits));
    }
    starts[xx] = xmin;
    counts[xx] = count;
  }
  return { starts, counts, weights, taps };
}

const unit = 1 << precisionBits;

function clip8(sum: number): number {
  // Truncation equals Pillow's shift for every sum that is not clipped to 0 anyway.
  const v = (sum / unit) | 0;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Resizes packed 8-bit RGB (3 channels) like Pillow's BICUBIC filter. */
export function resizeBicubicLikePillow(data: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  const half = 1 << (precisionBits - 1);
  let source = data;
  let sourceWidth = width;
  if (outWidth !== width) {
    const c = coefficients(width, outWidth);
    const horizontal = new Uint8Array(outWidth * height * 3);
    for (let y = 0; y < height; y++) {
      const row = y * width * 3;
      for (let x = 0; x < outWidth; x++) {
        let r = half, g = half, b = half;
        const base = x * c.taps;
        let i = row + c.starts[x] * 3;
        for (let t = 0; t < c.counts[x]; t++, i += 3) {
          const w = c.weights[base + t];
          r += data[i] * w;
          g += data[i + 1] * w;
          b += data[i + 2] * w;
        }
        const o = (y * outWidth + x) * 3;
        horizontal[o] = clip8(r);
        horizontal[o + 1] = clip8(g);
        horizontal[o + 2] = clip8(b);
      }
    }
    source = horizontal;
    sourceWidth = outWidth;
  }
  if (outHeight === height) return source === data ? data.slice() : source;
  const c = coefficients(height, outHeight);
  const out = new Uint8Array(outWidth * outHeight * 3);
  const rowLength = sourceWidth * 3;
  // Row by row with an accumulator, so memory is read sequentially (same sums as per pixel).
  const accumulator = new Float64Array(rowLength);
  for (let y = 0; y < outHeight; y++) {
    accumulator.fill(half);
    const base = y * c.taps;
    for (let t = 0; t < c.counts[y]; t++) {
      const w = c.weights[base + t];
      const from = (c.starts[y] + t) * rowLength;
      for (let i = 0; i < rowLength; i++) accumulator[i] += source[from + i] * w;
    }
    const o = y * rowLength;
    for (let i = 0; i < rowLength; i++) out[o + i] = clip8(accumulator[i]);
  }
  return out;
}
