// The monitor page in real headless Chromium receiving a progress message whose loss is null (not
// finite): the loss line has a gap there (chart.js skips the point), a marker and a legend entry
// name the step, the figures say "not finite", nothing is drawn at −1 or 0, and a page restored
// from its saved state (JSON, where NaN becomes null) still shows the gap and the marker.
// Screenshot in .test-artifacts/webview/monitor-non-finite-loss.png.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TrainerEvent } from '../../src/protocol/trainerMessages';
import type { MonitorSession } from '../../src/protocol/webviewMessages';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsDir, ensureBuilt, launchMonitorBrowser, openMonitorPage, type MonitorBrowser, type MonitorPage } from './monitorPageHarness';

let browser: MonitorBrowser;
before(async () => {
  ensureBuilt();
  browser = await launchMonitorBrowser();
});
after(async () => {
  await browser?.close();
});

const session: MonitorSession = { id: 'nan-run', title: 'Training nanemb', runDir: null, live: true };
const nanStep = 21;
// Losses 0.30, 0.29, … falling by 0.01 a step; step 21 is not finite.
const lossAt = (step: number) => +(0.31 - step * 0.01).toFixed(2);

function progress(step: number, loss: number | null, lossAverage: number | null): TrainerEvent {
  return { type: 'progress', step, epoch: 0, epochStep: step - 1, loss, lossAverage, learningRate: 0.05, stepsPerSecond: 2, etaSeconds: 10, memory: { rssBytes: 1e8, peakRssBytes: 2e8 } };
}

const started: TrainerEvent = { type: 'started', runDir: '/runs/nanemb', embeddingName: 'nanemb', vectors: 4, startStep: 0, maxSteps: 30, provider: 'cpu', providerNotes: [], config: {} };
const before21: TrainerEvent[] = [started, ...Array.from({ length: nanStep - 1 }, (_, i) => progress(i + 1, lossAt(i + 1), 0.2))];
const atNan: TrainerEvent[] = [
  progress(nanStep, null, 0.2),
  {
    type: 'guidance',
    kind: 'diverged',
    step: nanStep,
    message: 'the loss is not finite (NaN) at step 21: this step was skipped (the embedding was not updated). No embedding was saved yet to roll back to: restart with the learning rate lowered to 0.005.',
    suggestedLearningRate: 0.005,
  },
];
const afterNan: TrainerEvent[] = [progress(22, 0.1, 0.2), progress(23, 0.09, 0.2)];

async function send(monitor: MonitorPage, list: TrainerEvent[], first: number): Promise<void> {
  await monitor.post({ type: 'events', sessionId: session.id, first, events: list, imageUris: {} });
  await monitor.settle();
}

interface Drawn {
  label: string;
  points: [number, number][];
  /** chart.js's own verdict per point: skipped (a gap) or drawn. */
  skipped: boolean[];
  hidden: boolean;
}

function drawn(monitor: MonitorPage): Promise<Drawn[]> {
  return monitor.page.evaluate(() => {
    const chart = (window as any).__monitor.chart;
    return chart.data.datasets.map((d: any, i: number) => ({
      label: d.label,
      points: d.data.map((p: any) => [p.x, p.y]),
      skipped: chart.getDatasetMeta(i).data.map((e: any) => e.skip === true),
      hidden: !chart.isDatasetVisible(i),
    }));
  });
}

/** How many pixels of the plot column at `step` (between loss 0.01 and 0.07, outside the zones) are red. */
function redPixelsInColumn(monitor: MonitorPage, step: number): Promise<number> {
  return monitor.page.evaluate((at) => {
    const chart = (window as any).__monitor.chart;
    const ratio = chart.currentDevicePixelRatio;
    const x = Math.round(chart.scales.x.getPixelForValue(at) * ratio);
    const [y1, y2] = [0.07, 0.01].map((v) => Math.round(chart.scales.y.getPixelForValue(v) * ratio));
    const pixels = chart.ctx.getImageData(x - 1, y1, 3, y2 - y1).data as Uint8ClampedArray;
    let red = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 150 && pixels[i + 1] < 110 && pixels[i + 2] < 110) red++;
    return red;
  }, step);
}

const legend = (monitor: MonitorPage) => monitor.page.evaluate(() => ((window as any).__monitor.chart.legend.legendItems as { text: string }[]).map((item) => item.text));
const figures = (monitor: MonitorPage) =>
  monitor.page.$$eval('#figures .figure', (nodes) => Object.fromEntries(nodes.map((n) => [n.querySelector('dt')!.textContent, n.querySelector('dd')!.textContent])));

function assertGapAtNanStep(datasets: Drawn[]): void {
  const [loss, average, , , nonFinite] = datasets;
  const i = loss.points.findIndex(([x]) => x === nanStep);
  assert.ok(i > 0, 'the step is in the loss series');
  assert.ok(Number.isNaN(loss.points[i][1]), `loss at step ${nanStep} is a gap, got ${loss.points[i][1]}`);
  assert.equal(loss.skipped[i], true, 'chart.js skips the point: the line breaks there');
  assert.deepEqual(
    loss.skipped.map((s, j) => (s ? loss.points[j][0] : null)).filter((x) => x !== null),
    [nanStep],
    'only that step is a gap',
  );
  assert.equal(average.points[i][1], 0.2, 'the moving average of the finite losses goes on');
  // Nothing is drawn at −1 (the old stand-in) or at 0 (what null reads as in arithmetic), in any series.
  for (const dataset of datasets) {
    for (const [, y] of dataset.points) assert.ok(Number.isNaN(y) || y > 0, `${dataset.label} has a point at ${y}`);
  }
  assert.equal(nonFinite.label, `Loss not finite at step ${nanStep}`);
  assert.equal(nonFinite.points.length, 1);
  const [x, y] = nonFinite.points[0];
  assert.equal(x, nanStep);
  // The marker sits at the top of the loss range (0.4 at least), above every loss drawn: it is not a loss value.
  assert.ok(y >= 0.4 && y >= Math.max(...loss.points.map(([, v]) => v).filter(Number.isFinite)), `marker at ${y}`);
  assert.equal(nonFinite.hidden, false);
}

test('a null loss is a gap with a marker, named in the legend, the figures and the notes; never a −1 point', async () => {
  const monitor = await openMonitorPage(browser.context);
  await monitor.post({ type: 'session', session });
  await send(monitor, before21, 0);
  // Before any non-finite step, the legend has no such entry and the note is hidden.
  assert.ok(!(await legend(monitor)).some((text) => text.startsWith('Loss not finite')));
  assert.equal(await monitor.page.isHidden('#loss-note'), true);

  await send(monitor, atNan, before21.length);
  assertGapAtNanStep(await drawn(monitor));
  assert.ok((await legend(monitor)).includes(`Loss not finite at step ${nanStep}`));
  // A dashed red line runs down the plot at that step, and nowhere else.
  assert.ok((await redPixelsInColumn(monitor, nanStep)) > 10, 'a red line at the non-finite step');
  assert.equal(await redPixelsInColumn(monitor, 17), 0);
  const shown = await figures(monitor);
  assert.equal(shown['Loss'], 'not finite');
  assert.equal(shown['Moving average'], '0.2000');
  assert.equal(await monitor.page.isVisible('#loss-note'), true);
  assert.match((await monitor.page.textContent('#loss-note')) ?? '', /^Loss not finite at step 21: that step was skipped and drawn as a gap\. Lower the learning rate/);
  // The diverged notice says the step was skipped and offers the plan's next rate.
  const notice = (await monitor.page.textContent('.notice-diverged')) ?? '';
  assert.match(notice, /at step 21: this step was skipped/);
  assert.equal(await monitor.page.textContent('.notice-diverged button[data-action="setLearningRate"]'), 'Lower the learning rate to 0.005');
  await monitor.page.click('.notice-diverged button[data-action="setLearningRate"]');
  const posted = await monitor.posted();
  assert.deepEqual(posted.at(-1), { type: 'action', action: { type: 'setLearningRate', schedule: '0.005' } });

  // Training goes on: the figure shows the new finite loss, the gap and marker stay.
  await send(monitor, afterNan, before21.length + atNan.length);
  assertGapAtNanStep(await drawn(monitor));
  assert.ok((await redPixelsInColumn(monitor, nanStep)) > 10);
  assert.equal((await figures(monitor))['Loss'], '0.0900');
  assert.deepEqual(monitor.problems, []);
  mkdirSync(artifactsDir, { recursive: true });
  await monitor.page.screenshot({ path: join(artifactsDir, 'monitor-non-finite-loss.png'), fullPage: true });

  // Hidden and shown again: restored from the saved state (NaN went through JSON as null).
  await monitor.page.waitForTimeout(700); // the page saves its state at most twice a second
  const state = await monitor.state();
  assert.equal((state as { model: { loss: unknown[] } }).model.loss[nanStep - 1], null, 'the saved state holds null, as VS Code stores it');
  await monitor.page.close();
  const restored = await openMonitorPage(browser.context, { state });
  assertGapAtNanStep(await drawn(restored));
  assert.ok((await redPixelsInColumn(restored, nanStep)) > 10);
  assert.equal(await restored.page.isVisible('#loss-note'), true);
  assert.deepEqual(restored.problems, []);
  await restored.page.close();
});
