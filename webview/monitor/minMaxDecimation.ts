// Thins a series for drawing: above `buckets` × 2 points, each run of consecutive points keeps only
// its lowest and highest (in step order), plus the first and last point of the series. Spikes stay
// visible, and chart.js handles at most ~2 × buckets points per dataset whatever the run's length
// (its per-point update cost, not drawing, is what made long runs slow).

export interface XYPoint {
  x: number;
  y: number;
}

const gapOrValue = (y: unknown): number => (typeof y === 'number' ? y : Number.NaN);

export function minMaxDecimation(xs: readonly number[], ys: readonly number[], buckets: number): XYPoint[] {
  const n = Math.min(xs.length, ys.length);
  // NaN marks a non-finite loss (a gap in the line); JSON (the saved state) turns it into null,
  // which arithmetic reads as 0 (Math.max(null, -1) is 0), so it is turned back into NaN here too.
  if (n <= buckets * 2) return Array.from({ length: n }, (_, i) => ({ x: xs[i], y: gapOrValue(ys[i]) }));
  const out: XYPoint[] = [{ x: xs[0], y: gapOrValue(ys[0]) }];
  const size = (n - 2) / buckets;
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor(b * size);
    const end = 1 + Math.floor((b + 1) * size);
    let lo = -1;
    let hi = -1;
    let gap = -1;
    for (let i = start; i < end; i++) {
      const y = ys[i];
      if (typeof y !== 'number' || Number.isNaN(y)) {
        if (gap < 0) gap = i;
        continue;
      }
      if (lo < 0 || y < ys[lo]) lo = i;
      if (hi < 0 || y > ys[hi]) hi = i;
    }
    // A bucket holding a non-finite loss keeps a gap where it was, so the line breaks there too.
    const kept = [...new Set([lo, hi, gap].filter((i) => i >= 0))].sort((a, b) => a - b);
    for (const i of kept) out.push({ x: xs[i], y: i === gap ? Number.NaN : ys[i] });
  }
  out.push({ x: xs[n - 1], y: gapOrValue(ys[n - 1]) });
  return out;
}
