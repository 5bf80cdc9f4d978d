// Thins a series for drawing: above `buckets` × 2 points, each run of consecutive points keeps only
// its lowest and highest (in step order), plus the first and last point of the series. Spikes stay
// visible, and chart.js handles at most ~2 × buckets points per dataset whatever the run's length
// (its per-point update cost, not drawing, is what made long runs slow).

export interface XYPoint {
  x: number;
  y: number;
}

export function minMaxDecimation(xs: readonly number[], ys: readonly number[], buckets: number): XYPoint[] {
  const n = Math.min(xs.length, ys.length);
  if (n <= buckets * 2) return Array.from({ length: n }, (_, i) => ({ x: xs[i], y: ys[i] }));
  const out: XYPoint[] = [{ x: xs[0], y: ys[0] }];
  const size = (n - 2) / buckets;
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor(b * size);
    const end = 1 + Math.floor((b + 1) * size);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i++) {
      const y = ys[i];
      // NaN marks a non-finite loss; it comes back as null from the saved state.
      if (typeof y !== 'number' || Number.isNaN(y)) continue;
      if (lo < 0 || y < ys[lo]) lo = i;
      if (hi < 0 || y > ys[hi]) hi = i;
    }
    // A run with no finite value stays a gap in the line.
    if (lo < 0) out.push({ x: xs[start], y: NaN });
    else if (lo === hi) out.push({ x: xs[lo], y: ys[lo] });
    else for (const i of lo < hi ? [lo, hi] : [hi, lo]) out.push({ x: xs[i], y: ys[i] });
  }
  out.push({ x: xs[n - 1], y: ys[n - 1] });
  return out;
}
