// An independent, direct transcription of Pillow's published bicubic resampling (Resample.c:
// cubic a = −0.5, support scaled by the reduction factor, horizontal pass then vertical pass,
// each rounded and clipped to 8 bits), used to check that the tagger's resize matches the
// WD14 reference preprocessing (which calls PIL `resize(..., Image.BICUBIC)`).

function bicubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

function coefficients(inSize: number, outSize: number): { start: number; weights: number[] }[] {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const result: { start: number; weights: number[] }[] = [];
  for (let xx = 0; xx < outSize; xx++) {
    const centre = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(centre - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const weights: number[] = [];
    for (let x = xmin; x < xmax; x++) weights.push(bicubic((x - centre + 0.5) / filterScale));
    const total = weights.reduce((s, w) => s + w, 0);
    result.push({ start: xmin, weights: weights.map((w) => (total === 0 ? 0 : w / total)) });
  }
  return result;
}

const clip8 = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

/** Resizes packed RGB8 `width × height` to `outWidth × outHeight`. */
export function pilBicubicResize(data: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  const horizontal = new Uint8Array(outWidth * height * 3);
  const hc = coefficients(width, outWidth);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < outWidth; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        hc[x].weights.forEach((w, k) => (sum += w * data[3 * (y * width + hc[x].start + k) + c]));
        horizontal[3 * (y * outWidth + x) + c] = clip8(sum);
      }
  const out = new Uint8Array(outWidth * outHeight * 3);
  const vc = coefficients(height, outHeight);
  for (let y = 0; y < outHeight; y++)
    for (let x = 0; x < outWidth; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        vc[y].weights.forEach((w, k) => (sum += w * horizontal[3 * ((vc[y].start + k) * outWidth + x) + c]));
        out[3 * (y * outWidth + x) + c] = clip8(sum);
      }
  return out;
}
