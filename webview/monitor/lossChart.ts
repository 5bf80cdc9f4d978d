// The loss chart: loss per step (faint), its moving average (bold), the learning rate on a
// logarithmic second axis, diamonds where embeddings were saved, and the tutorial's zones behind.
// Built for thousands of points: no animation, pre-parsed {x, y} data, min-max decimation, and
// points appended in place rather than rebuilt on every update.

import { chartJs, type ChartJs } from './chartJs';
import { lossZonesPlugin, tutorialLossZones, type LossZone } from './lossZonesPlugin';
import type { ModelState } from './monitorModel';
import { readThemeColors, withAlpha, type ThemeColors } from './themeColors';
import { formatLearningRate, formatLoss } from './formatFigures';

const { Chart, Decimation, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip } = chartJs;
Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Legend, Decimation, lossZonesPlugin);

type Point = { x: number; y: number };
type LineDataset = ChartJs.ChartDataset<'line', Point[]>;

export const datasetIndex = { loss: 0, lossAverage: 1, learningRate: 2, saved: 3 } as const;

export class LossChart {
  readonly chart: ChartJs.Chart<'line', Point[]>;

  constructor(canvas: HTMLCanvasElement) {
    const colors = readThemeColors();
    const datasets: LineDataset[] = [
      { label: 'Loss', data: [], yAxisID: 'y', borderWidth: 1, pointRadius: 0 },
      { label: 'Moving average', data: [], yAxisID: 'y', borderWidth: 2.5, pointRadius: 0 },
      { label: 'Learning rate', data: [], yAxisID: 'yLearningRate', borderWidth: 1.5, pointRadius: 0, stepped: 'before', borderDash: [6, 3] },
      {
        label: 'Saved embedding',
        data: [],
        yAxisID: 'y',
        showLine: false,
        pointStyle: 'rectRot',
        pointRadius: 6,
        pointHoverRadius: 8,
        borderWidth: 1.5,
      },
    ];
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
          yLearningRate: { type: 'logarithmic', position: 'right', title: { display: true, text: 'learning rate' }, grid: { drawOnChartArea: false } },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'min-max' },
          legend: { position: 'top', labels: { usePointStyle: true, boxHeight: 8 } },
          tooltip: {
            callbacks: {
              title: (items) => (items.length ? `step ${items[0].parsed.x}` : ''),
              label: (item) => {
                const y = item.parsed.y ?? NaN;
                const label = item.dataset.label ?? '';
                return item.datasetIndex === datasetIndex.learningRate ? `${label}: ${formatLearningRate(y)}` : `${label}: ${formatLoss(y)}`;
              },
            },
          },
        },
      },
    });
    this.applyTheme(colors);
  }

  /** Re-reads nothing: call with fresh colours (readThemeColors) after a theme change. */
  applyTheme(colors: ThemeColors = readThemeColors()): void {
    const chart = this.chart;
    const [loss, average, rate, saved] = chart.data.datasets;
    loss.borderColor = withAlpha(colors.loss, colors.highContrast ? 0.8 : 0.35);
    average.borderColor = colors.lossAverage;
    rate.borderColor = colors.learningRate;
    saved.borderColor = colors.foreground;
    saved.backgroundColor = colors.saved;
    for (const dataset of [loss, average, rate]) dataset.backgroundColor = dataset.borderColor;
    const zoneColors: Record<LossZone['id'], string> = { healthy: colors.healthy, plateau: colors.plateau, diverged: colors.diverged };
    const zones: LossZone[] = tutorialLossZones.map((zone) => ({ ...zone, color: zoneColors[zone.id] }));
    const options = chart.options;
    (options.plugins as Record<string, unknown>).lossZones = {
      zones,
      scaleId: 'y',
      fillOpacity: colors.highContrast ? 0.22 : 0.14,
      fontFamily: getComputedStyle(document.body).fontFamily || 'sans-serif',
    };
    options.color = colors.foreground;
    for (const scale of Object.values(options.scales ?? {})) {
      if (!scale) continue;
      scale.ticks = { ...scale.ticks, color: colors.foreground };
      scale.grid = { ...scale.grid, color: colors.gridLines };
      if ('title' in scale && scale.title) scale.title.color = colors.foreground;
    }
    chart.update('none');
  }

  // The full series live here: with decimation on, a dataset's `data` reads back the decimated copy.
  private series = { loss: [] as Point[], lossAverage: [] as Point[], learningRate: [] as Point[] };

  /** Brings the datasets up to date with the model, appending when only new points arrived. */
  sync(model: ModelState): void {
    const n = model.steps.length;
    const have = this.series.loss.length;
    const old = this.series.loss;
    const appendOnly = have <= n && (have === 0 || (old[have - 1].x === model.steps[have - 1] && old[0].x === model.steps[0]));
    // Thinning or a rollback rewrote earlier points: start over with fresh arrays.
    if (!appendOnly) this.series = { loss: [], lossAverage: [], learningRate: [] };
    const { loss, lossAverage, learningRate } = this.series;
    for (let i = loss.length; i < n; i++) {
      const x = model.steps[i];
      loss.push({ x, y: model.loss[i] });
      lossAverage.push({ x, y: model.lossAverage[i] });
      learningRate.push({ x, y: model.learningRate[i] });
    }
    const datasets = this.chart.data.datasets;
    datasets[datasetIndex.loss].data = loss;
    datasets[datasetIndex.lossAverage].data = lossAverage;
    datasets[datasetIndex.learningRate].data = learningRate;
    datasets[datasetIndex.saved].data = model.saved.filter((m) => Number.isFinite(m.loss)).map((m) => ({ x: m.step, y: m.loss }));
    const scales = this.chart.options.scales!;
    scales.x!.min = n > 0 ? model.steps[0] : 0;
    scales.x!.max = Math.max(n > 0 ? model.steps[n - 1] : 1, ...model.saved.map((m) => m.step));
    this.chart.update('none');
  }

  /** The full (undecimated) series, for tests and for the state check. */
  seriesLength(): number {
    return this.series.loss.length;
  }
}
