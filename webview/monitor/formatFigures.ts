// How the monitor writes its figures: short, unit-bearing, and stable in width where it matters.

export function formatLoss(loss: number | null | undefined): string {
  if (loss === null || loss === undefined || !Number.isFinite(loss)) return '—';
  return loss.toFixed(4);
}

/** Learning rates as people write them in the schedule (0.005, 0.0001), not as 1e-4. */
export function formatLearningRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  if (rate === 0) return '0';
  // Three significant digits; JavaScript switches to exponents below 1e-6, as we want.
  if (rate >= 1e-6) return String(Number(rate.toFixed(Math.min(20, Math.max(0, -Math.floor(Math.log10(rate)) + 2)))));
  return rate.toExponential(2);
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(rest).padStart(2, '0')} s`;
  return `${rest} s`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function formatSpeed(stepsPerSecond: number | null | undefined): string {
  if (stepsPerSecond === null || stepsPerSecond === undefined || !Number.isFinite(stepsPerSecond) || stepsPerSecond <= 0) return '—';
  return stepsPerSecond >= 1 ? `${stepsPerSecond.toFixed(2)} steps/s` : `${(1 / stepsPerSecond).toFixed(1)} s/step`;
}
