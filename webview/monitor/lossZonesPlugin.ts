// A chart.js plugin (ours) that shades the tutorial's loss zones behind the curve: the healthy
// 0.08–0.13 band, the 0.17–0.25 "images disagree, check the dataset" zone and the "diverged"
// zone above 0.3, each labelled at the right edge of the plot.

import type { ChartJs } from './chartJs';

export interface LossZone {
  id: 'healthy' | 'plateau' | 'diverged';
  from: number;
  /** null: up to the top of the axis. */
  to: number | null;
  label: string;
  color: string;
}

export interface LossZonesOptions {
  zones: LossZone[];
  /** The y scale the zones are drawn against. */
  scaleId: string;
  fillOpacity: number;
  /** Canvas fonts cannot use CSS variables: the page passes its resolved font family. */
  fontFamily: string;
}

/** The bands from the tutorial (tutorial-knowledge.md, "Loss: what the numbers mean"). */
export const tutorialLossZones: ReadonlyArray<Omit<LossZone, 'color'>> = [
  { id: 'healthy', from: 0.08, to: 0.13, label: 'healthy 0.08–0.13' },
  { id: 'plateau', from: 0.17, to: 0.25, label: 'images disagree 0.17–0.25' },
  { id: 'diverged', from: 0.3, to: null, label: 'diverged > 0.3' },
];

export const lossZonesPlugin: ChartJs.Plugin<'line', LossZonesOptions> = {
  id: 'lossZones',
  defaults: { zones: [], scaleId: 'y', fillOpacity: 0.14, fontFamily: 'sans-serif' },
  beforeDatasetsDraw(chart: ChartJs.Chart, _args, options: LossZonesOptions) {
    const scale = chart.scales[options.scaleId];
    if (!scale) return;
    const { left, right, top, bottom } = chart.chartArea;
    const ctx = chart.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, right - left, bottom - top);
    ctx.clip();
    for (const zone of options.zones) {
      const y1 = Math.min(bottom, Math.max(top, scale.getPixelForValue(zone.from)));
      const y2 = zone.to === null ? top : Math.min(bottom, Math.max(top, scale.getPixelForValue(zone.to)));
      if (y1 - y2 < 1) continue;
      ctx.globalAlpha = options.fillOpacity;
      ctx.fillStyle = zone.color;
      ctx.fillRect(left, y2, right - left, y1 - y2);
      // Edges as dashed lines, so the zones stay readable where fills are faint (high contrast).
      ctx.globalAlpha = 0.7;
      ctx.strokeStyle = zone.color;
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (const y of zone.to === null ? [y1] : [y1, y2]) {
        ctx.moveTo(left, Math.round(y) + 0.5);
        ctx.lineTo(right, Math.round(y) + 0.5);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.globalAlpha = 1;
      ctx.fillStyle = zone.color;
      ctx.font = `11px ${options.fontFamily}`;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'top';
      if (y1 - y2 >= 12) ctx.fillText(zone.label, right - 6, y2 + 2);
    }
    ctx.restore();
  },
};
