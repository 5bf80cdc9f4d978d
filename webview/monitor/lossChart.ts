// The loss chart: loss per step (faint), its moving average (bold), the learning rate on a
// logarithmic second axis, diamonds where embeddings were saved, and the tutorial's zones behind.
// A step whose loss was not finite is a gap in the lines and a red marker along the top edge
// (never a point at some stand-in value), named in the legend.
// Built for thousands of points: no animation, pre-parsed {x, y} data, and our own min-max
// decimation to a bounded number of points (chart.js's update cost grows with every point it holds).

import { chartJs, type ChartJs } from './chartJs';
import { lossZonesPlugin, tutorialLossZones, type LossZone } from './lossZonesPlugin';
import type { ModelState } from './monitorModel';
import { readThemeColors, withAlpha, type ThemeColors } from './themeColors';
import { formatLearningRate, formatLoss } from './formatFigures';
import { minMaxDecimation } from './minMaxDecimation';
import { nonFiniteStepLinesPlugin, type NonFiniteStepLinesOptions } from './nonFiniteStepLines';

const { Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip } = chartJs;
Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend, lossZonesPlugin, nonFiniteStepLinesPlugin);

/** The loss axis shows at least 0–0.4 (suggestedMax): the markers sit no lower than its top. */
const nonFiniteMarkerFloor = 0.4;

/** Min-max buckets per series: 2 points per bucket, so at most ~1,600 points per dataset. */
const drawBuckets = 800;

type Point = { x: number; y: number };
type LineDataset = ChartJs.ChartDataset<'line', Point[]>;

export const datasetIndex = { loss: 0, lossAverage: 1, learningRate: 2, saved: 3, nonFinite: 4 } as const;

/** The legend's words for the non-finite markers: the step itself when there is one. */
export function nonFiniteLegendLabel(steps: readonly number[]): string {
  if (steps.length === 0) return 'Loss not finite';
  if (steps.length === 1) return `Loss not finite at step ${steps[0]}`;
  return `Loss not finite at ${steps.length} steps (first ${steps[0]}, last ${steps[steps.length - 1]})`;
}

export class LossChart {
  readonly chart: ChartJs.Chart<'line', Point[]>;

  constructor(canvas: HTMLCanvasElement) {
    const colors = readThemeColors();
    const datasets = this.buildDatasets(colors);
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'step' }, ticks: { precision: 0 } },
          y: { type: 'linear', min: 0, suggestedMax: 0.4, title: { display: true, text: 'loss' } },
          yLearningRate: {
            type: 'logarithmic',
            position: 'right',
            title: { display: true, text: 'learning rate (log)' },
            grid: { drawOnChartArea: false },
            ticks: {
              autoSkip: true,
              // Label the 1-2-5 values only: a log axis labelled at every tick is unreadable.
              callback: (value) => {
                const v = Number(value);
                const mantissa = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
                return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6) ? formatLearningRate(v) : '';
              },
            },
          },
        },
        plugins: {
          legend: {
            position: 'top',
            // The non-finite entry shows only when there is something to name.
            labels: { usePointStyle: true, boxHeight: 8, filter: (item, data) => item.datasetIndex !== datasetIndex.nonFinite || data.datasets[datasetIndex.nonFinite].data.length > 0 },
          },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? `step ${items[0].parsed.x}` : ''),
              label: (item) => {
                const y = item.parsed.y ?? NaN;
                const label = item.dataset.label ?? '';
                if (item.datasetIndex === datasetIndex.nonFinite) return 'Loss not finite: the step was skipped';
                return item.datasetIndex === datasetIndex.learningRate ? `${label}: ${formatLearningRate(y)}` : `${label}: ${formatLoss(y)}`;
              },
            },
          },
        },
      },
    });
    this.applyTheme(colors);
  }

  // Dataset colours are fixed at creation (chart.js keeps resolved point options), so a theme
  // change builds fresh dataset objects over the same series.
  private buildDatasets(colors: ThemeColors): LineDataset[] {
    const hidden = (i: number) => (this.chart ? !this.chart.isDatasetVisible(i) : false);
    const loss = withAlpha(colors.loss, colors.highContrast ? 0.8 : 0.35);
    return [
      { label: 'Loss', data: this.series.loss, yAxisID: 'y', borderWidth: 1, pointRadius: 0, borderColor: loss, backgroundColor: loss },
      { label: 'Moving average', data: this.series.lossAverage, yAxisID: 'y', borderWidth: 2.5, pointRadius: 0, borderColor: colors.lossAverage, backgroundColor: colors.lossAverage },
      {
        label: 'Learning rate',
        data: this.series.learningRate,
        yAxisID: 'yLearningRate',
        borderWidth: 1.5,
        pointRadius: 0,
        stepped: 'before',
        borderDash: [6, 3],
        borderColor: colors.learningRate,
        backgroundColor: colors.learningRate,
      },
      {
        label: 'Saved embedding',
        data: this.savedPoints,
        yAxisID: 'y',
        showLine: false,
        pointStyle: 'rectRot',
        pointRadius: 6,
        pointHoverRadius: 8,
        borderWidth: 1.5,
        borderColor: colors.foreground,
        backgroundColor: colors.saved,
        pointBorderColor: colors.foreground,
        pointBackgroundColor: colors.saved,
      },
      {
        label: nonFiniteLegendLabel(this.nonFiniteSteps),
        data: this.nonFinitePoints,
        yAxisID: 'y',
        showLine: false,
        pointStyle: 'triangle',
        pointRotation: 180,
        // The marker sits on the top edge of the plot: drawn whole, not cut by the plot area.
        clip: false,
        pointRadius: 6,
        pointHoverRadius: 8,
        borderWidth: 1.5,
        borderColor: colors.diverged,
        backgroundColor: colors.diverged,
        pointBorderColor: colors.diverged,
        pointBackgroundColor: colors.diverged,
      },
    ].map((dataset, i) => ({ ...dataset, hidden: hidden(i) }) as LineDataset);
  }

  /** Call with fresh colours (readThemeColors) after a theme change. */
  applyTheme(colors: ThemeColors = readThemeColors()): void {
    const chart = this.chart;
    chart.data.datasets = this.buildDatasets(colors);
    const zoneColors: Record<LossZone['id'], string> = { healthy: colors.healthy, plateau: colors.plateau, diverged: colors.diverged };
    const zones: LossZone[] = tutorialLossZones.map((zone) => ({ ...zone, color: zoneColors[zone.id] }));
    const options = chart.options;
    (options.plugins as Record<string, unknown>).lossZones = {
      zones,
      scaleId: 'y',
      fillOpacity: colors.highContrast ? 0.22 : 0.14,
      fontFamily: getComputedStyle(document.body).fontFamily || 'sans-serif',
    };
    const stepLines: NonFiniteStepLinesOptions = { datasetIndex: datasetIndex.nonFinite, color: colors.diverged };
    (options.plugins as Record<string, unknown>).nonFiniteStepLines = stepLines;
    options.color = colors.foreground;
    for (const scale of Object.values(options.scales ?? {})) {
      if (!scale) continue;
      scale.ticks = { ...scale.ticks, color: colors.foreground };
      scale.grid = { ...scale.grid, color: colors.gridLines };
      if ('title' in scale && scale.title) scale.title.color = colors.foreground;
    }
    chart.update('none');
  }

  private savedPoints: Point[] = [];
  private nonFinitePoints: Point[] = [];
  private nonFiniteSteps: number[] = [];
  private series = { loss: [] as Point[], lossAverage: [] as Point[], learningRate: [] as Point[] };
  private drawnFrom = 0;

  /** Brings the datasets up to date with the model (decimated for drawing). */
  sync(model: ModelState): void {
    const n = model.steps.length;
    this.drawnFrom = n;
    this.series = {
      loss: minMaxDecimation(model.steps, model.loss, drawBuckets),
      lossAverage: minMaxDecimation(model.steps, model.lossAverage, drawBuckets),
      learningRate: minMaxDecimation(model.steps, model.learningRate, drawBuckets),
    };
    const { loss, lossAverage, learningRate } = this.series;
    const datasets = this.chart.data.datasets;
    datasets[datasetIndex.loss].data = loss;
    datasets[datasetIndex.lossAverage].data = lossAverage;
    datasets[datasetIndex.learningRate].data = learningRate;
    this.savedPoints = model.saved.filter((m) => Number.isFinite(m.loss)).map((m) => ({ x: m.step, y: m.loss }));
    datasets[datasetIndex.saved].data = this.savedPoints;
    // Markers along the top of the loss range drawn, so they never read as a loss value on the curve.
    this.nonFiniteSteps = model.nonFiniteSteps.slice();
    let top = nonFiniteMarkerFloor;
    if (this.nonFiniteSteps.length > 0) for (const p of [...loss, ...this.savedPoints]) if (Number.isFinite(p.y)) top = Math.max(top, p.y);
    this.nonFinitePoints = this.nonFiniteSteps.map((step) => ({ x: step, y: top }));
    datasets[datasetIndex.nonFinite].data = this.nonFinitePoints;
    datasets[datasetIndex.nonFinite].label = nonFiniteLegendLabel(this.nonFiniteSteps);
    const scales = this.chart.options.scales!;
    // Whole decades around the rates used, so a change of rate reads as a step, not a cliff.
    const rates = learningRate.length > 0 ? learningRate.reduce(([lo, hi], p) => [Math.min(lo, p.y), Math.max(hi, p.y)], [Infinity, -Infinity]) : null;
    if (rates && rates[0] > 0) {
      scales.yLearningRate!.min = 10 ** Math.floor(Math.log10(rates[0]) + 1e-9);
      scales.yLearningRate!.max = 10 ** Math.ceil(Math.log10(rates[1]) - 1e-9 + (rates[0] === rates[1] ? 1e-6 : 0));
    }
    scales.x!.min = n > 0 ? model.steps[0] : 0;
    scales.x!.max = Math.max(n > 0 ? model.steps[n - 1] : 1, ...model.saved.map((m) => m.step));
    this.chart.update('none');
  }

  /** How many model points the chart was last drawn from, and how many it holds per dataset. */
  drawnPoints(): { from: number; drawn: number } {
    return { from: this.drawnFrom, drawn: this.series.loss.length };
  }
}
