// A chart.js plugin (ours) that draws a dashed vertical line through the plot at each step whose
// loss was not finite: the gap in a faint loss line is a pixel wide, the line is what the eye finds.
// It follows the marker dataset (its points' x), so hiding that dataset in the legend hides both.

import type { ChartJs } from './chartJs';

export interface NonFiniteStepLinesOptions {
  /** The dataset whose points mark the non-finite steps. */
  datasetIndex: number;
  color: string;
}

export const nonFiniteStepLinesPlugin: ChartJs.Plugin<'line', NonFiniteStepLinesOptions> = {
  id: 'nonFiniteStepLines',
  defaults: { datasetIndex: -1, color: '#f14c4c' },
  beforeDatasetsDraw(chart: ChartJs.Chart, _args, options: NonFiniteStepLinesOptions) {
    const dataset = chart.data.datasets[options.datasetIndex];
    const scale = chart.scales.x;
    if (!dataset || !scale || !chart.isDatasetVisible(options.datasetIndex) || dataset.data.length === 0) return;
    const { left, right, top, bottom } = chart.chartArea;
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = options.color;
    ctx.globalAlpha = 0.8;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    for (const point of dataset.data as { x: number }[]) {
      const x = Math.round(scale.getPixelForValue(point.x)) + 0.5;
      // The newest step sits on the right edge itself.
      if (x < left - 1 || x > right + 1) continue;
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
    }
    ctx.stroke();
    ctx.restore();
  },
};
