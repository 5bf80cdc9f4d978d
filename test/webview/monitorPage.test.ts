// The training monitor page in real headless Chromium: a recorded-style tiny run is posted to the
// built page as the host would post it; the chart's data, the zones, the notices, the gallery, the
// controls, the saved state and the themes are checked against the fixture's own numbers.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { TrainerEvent } from '../../src/protocol/trainerMessages';
import type { MonitorSession } from '../../src/protocol/webviewMessages';
import { MonitorFeed } from '../../src/extension/monitorFeed';
import { replayRunFolder } from '../../src/protocol/runFolderReplay';
import { demoRunDir, demoRunEvents } from './fixtures/demoRunEvents';
import { learningRateAt, previewSteps, tinyRun, tinyRunEvents, tinyRunFinished, writePreviewImages } from './fixtures/tinyRunEvents';
import { artifactsDir, ensureBuilt, launchMonitorBrowser, openMonitorPage, type MonitorBrowser, type MonitorPage } from './monitorPageHarness';
import { themes, type ThemeKind } from './vscodeThemes';

type EventOf<T extends TrainerEvent['type']> = Extract<TrainerEvent, { type: T }>;

let browser: MonitorBrowser;
let runDir: string;
let events: TrainerEvent[];
let imageUris: Record<string, string>;
const session: MonitorSession = { id: 'run-1', title: 'Training kaede_ti', runDir: '', live: true };

before(async () => {
  ensureBuilt();
  runDir = mkdtempSync(join(tmpdir(), 'monitor-run-'));
  await writePreviewImages(runDir);
  events = tinyRunEvents(runDir);
  session.runDir = runDir;
  imageUris = Object.fromEntries(
    events.filter((e): e is EventOf<'preview'> => e.type === 'preview').map((e) => [e.path, pathToFileURL(e.path).href]),
  );
  browser = await launchMonitorBrowser();
  mkdirSync(artifactsDir, { recursive: true });
});

after(async () => {
  await browser?.close();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

/** Posts the session and its events in batches, numbered as the host numbers them. */
async function sendRun(monitor: MonitorPage, list: TrainerEvent[], first = 0, batch = 40): Promise<void> {
  if (first === 0) await monitor.post({ type: 'session', session });
  for (let i = 0; i < list.length; i += batch) {
    await monitor.post({ type: 'events', sessionId: session.id, first: first + i, events: list.slice(i, i + batch), imageUris });
  }
  await monitor.settle();
}

const progressOf = (list: TrainerEvent[]) => list.filter((e): e is EventOf<'progress'> => e.type === 'progress');

interface DatasetPoints {
  label: string;
  points: [number, number][];
}

function chartData(monitor: MonitorPage): Promise<DatasetPoints[]> {
  return monitor.page.evaluate(() => {
    const chart = (window as any).__monitor.chart;
    return chart.data.datasets.map((d: any) => ({ label: d.label as string, points: d.data.map((p: any) => [p.x, p.y]) as [number, number][] }));
  });
}

describe('monitor page', () => {
  test('says ready with what it holds, and draws nothing before the host speaks', async () => {
    const monitor = await openMonitorPage(browser.context);
    assert.deepEqual(await monitor.posted(), [{ type: 'ready', sessionId: null, received: 0 }]);
    const data = await chartData(monitor);
    assert.ok(data.every((d) => d.points.length === 0));
    assert.deepEqual(monitor.problems, []);
    await monitor.page.close();
  });

  test('draws the loss, its average, the learning rate and the saved embeddings from the events', async () => {
    const monitor = await openMonitorPage(browser.context);
    await sendRun(monitor, events);
    const progress = progressOf(events);
    const [loss, average, rate, saved] = await chartData(monitor);
    assert.equal(loss.label, 'Loss');
    assert.deepEqual(loss.points, progress.map((p) => [p.step, p.loss]));
    assert.deepEqual(average.points, progress.map((p) => [p.step, p.lossAverage]));
    assert.deepEqual(rate.points.map(([step, r]) => [step, r]), progress.map((p) => [p.step, learningRateAt(p.step)]));
    const savedSteps = events.filter((e): e is EventOf<'saved'> => e.type === 'saved' && e.kind === 'embedding');
    assert.deepEqual(saved.points, savedSteps.map((e) => [e.step, e.loss]));
    const axes = await monitor.page.evaluate(() => {
      const chart = (window as any).__monitor.chart;
      return { lrType: chart.scales.yLearningRate.type, lrPosition: chart.scales.yLearningRate.position, animation: chart.options.animation };
    });
    assert.deepEqual(axes, { lrType: 'logarithmic', lrPosition: 'right', animation: false });
    assert.deepEqual(monitor.problems, []);
    await monitor.page.close();
  });

  test('shades the tutorial zones behind the curve', async () => {
    const monitor = await openMonitorPage(browser.context);
    await sendRun(monitor, events);
    const zones = await monitor.page.evaluate(() =>
      (window as any).__monitor.chart.options.plugins.lossZones.zones.map((z: any) => ({ id: z.id, from: z.from, to: z.to, color: z.color })),
    );
    assert.deepEqual(
      zones.map((z: { id: string; from: number; to: number | null }) => [z.id, z.from, z.to]),
      [
        ['healthy', 0.08, 0.13],
        ['plateau', 0.17, 0.25],
        ['diverged', 0.3, null],
      ],
    );
    // The zone colours come from the theme (dark: charts green / yellow / red).
    assert.deepEqual(zones.map((z: { color: string }) => z.color), ['#89d185', '#cca700', '#f14c4c']);
    // Read the canvas: inside a zone the pixels are tinted, between zones they are not.
    const alpha = await monitor.page.evaluate(() => {
      const chart = (window as any).__monitor.chart;
      const ctx = chart.ctx as CanvasRenderingContext2D;
      const ratio = chart.currentDevicePixelRatio as number;
      const x = Math.round((chart.chartArea.left + 3) * ratio);
      const at = (loss: number) => ctx.getImageData(x, Math.round(chart.scales.y.getPixelForValue(loss) * ratio), 1, 1).data;
      return { healthy: Array.from(at(0.115)), gap: Array.from(at(0.142)), plateau: Array.from(at(0.23)), diverged: Array.from(at(0.34)) };
    });
    assert.ok(alpha.healthy[3] > 0, `healthy band pixel ${alpha.healthy}`);
    assert.ok(alpha.healthy[1] > alpha.healthy[0], 'the healthy band is green');
    assert.equal(alpha.gap[3], 0, `pixel between zones ${alpha.gap}`);
    assert.ok(alpha.plateau[3] > 0 && alpha.diverged[3] > 0);
    assert.ok(alpha.diverged[0] > alpha.diverged[1], 'the diverged zone is red');
    await monitor.page.close();
  });

  test('shows each guidance as a notice with its one-click action', async () => {
    const monitor = await openMonitorPage(browser.context);
    await sendRun(monitor, events);
    const notices = await monitor.page.$$eval('#notices .notice', (nodes) =>
      nodes.map((n) => ({
        kind: n.getAttribute('data-kind'),
        role: n.getAttribute('role'),
        buttons: Array.from(n.querySelectorAll('button')).map((b) => b.textContent),
      })),
    );
    // Newest first.
    assert.deepEqual(notices, [
      { kind: 'diverged', role: 'alert', buttons: [`Roll back to step 250 (loss ${(events.find((e) => e.type === 'guidance' && e.kind === 'diverged') as EventOf<'guidance'>).rollbackTo!.loss.toFixed(4)})`, 'Dismiss'] },
      { kind: 'previews-stable', role: 'status', buttons: ['Lower the learning rate to 0.0001', 'Dismiss'] },
      { kind: 'healthy', role: 'status', buttons: ['Dismiss'] },
      { kind: 'plateau', role: 'status', buttons: ['Open lint results', 'Dismiss'] },
    ]);
    await monitor.page.click('.notice-previews-stable button[data-action="setLearningRate"]');
    await monitor.page.click('.notice-diverged button[data-action="rollback"]');
    await monitor.page.click('.notice-plateau button[data-action="openLintResults"]');
    const actions = (await monitor.posted()).slice(1);
    assert.deepEqual(actions, [
      { type: 'action', action: { type: 'setLearningRate', schedule: '0.0001' } },
      { type: 'action', action: { type: 'rollback', embeddingPath: join(runDir, 'embeddings', 'kaede_ti-250.safetensors') } },
      { type: 'action', action: { type: 'openLintResults' } },
    ]);
    await monitor.page.click('.notice-healthy button[aria-label^="Dismiss"]');
    await monitor.settle();
    assert.equal(await monitor.page.locator('.notice-healthy').count(), 0);
    await monitor.page.close();
  });

  test('lists previews by step, enlarges one and compares two side by side', async () => {
    const monitor = await openMonitorPage(browser.context);
    await sendRun(monitor, events);
    const cards = await monitor.page.$$eval('#gallery .preview-card', (nodes) => nodes.map((n) => Number(n.getAttribute('data-step'))));
    const expected = [...previewSteps].reverse().flatMap((step) => [step, step]);
    assert.deepEqual(cards, expected);
    // The PNGs really load under the page's CSP.
    await monitor.page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('#gallery img')).every((img) => img.complete && img.naturalWidth === 64));
    await monitor.page.locator('#gallery .preview-card').first().locator('button.thumb').click();
    const single = await monitor.page.evaluate(() => ({
      open: (document.getElementById('viewer') as HTMLDialogElement).open,
      steps: Array.from(document.querySelectorAll('#viewer-body figure')).map((f) => f.getAttribute('data-step')),
      caption: document.querySelector('#viewer-body figcaption')?.textContent,
    }));
    assert.equal(single.open, true);
    assert.deepEqual(single.steps, ['300']);
    assert.match(single.caption ?? '', /a portrait of kaede_ti/);
    assert.match(single.caption ?? '', /Euler a, 20 steps, seed 1234/);
    await monitor.page.click('#viewer-close');
    assert.equal(await monitor.page.evaluate(() => (document.getElementById('viewer') as HTMLDialogElement).open), false);

    assert.equal(await monitor.page.isDisabled('#compare-open'), true);
    await monitor.page.click('#gallery .preview-card[data-key="100|kaede_ti"] .compare-toggle');
    await monitor.settle();
    await monitor.page.click('#gallery .preview-card[data-key="250|kaede_ti"] .compare-toggle');
    await monitor.settle();
    assert.equal(await monitor.page.getAttribute('#gallery .preview-card[data-key="250|kaede_ti"] .compare-toggle', 'aria-pressed'), 'true');
    await monitor.page.click('#compare-open');
    const compared = await monitor.page.evaluate(() => Array.from(document.querySelectorAll('#viewer-body.compare figure')).map((f) => f.getAttribute('data-step')));
    assert.deepEqual(compared, ['100', '250']);
    await monitor.page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('#viewer-body img')).every((img) => img.complete && img.naturalWidth === 64));
    await monitor.page.screenshot({ path: join(artifactsDir, 'monitor-compare-dark.png') });
    await monitor.page.keyboard.press('Escape');
    assert.deepEqual(monitor.problems, []);
    await monitor.page.close();
  });

  test('sends the controls to the host and follows the trainer state', async () => {
    const monitor = await openMonitorPage(browser.context);
    await sendRun(monitor, events);
    const enabled = async () =>
      monitor.page.evaluate(() =>
        Object.fromEntries(['control-pause', 'control-resume', 'control-save', 'control-stop', 'lr-apply'].map((id) => [id, !(document.getElementById(id) as HTMLButtonElement).disabled])),
      );
    assert.deepEqual(await enabled(), { 'control-pause': true, 'control-resume': false, 'control-save': true, 'control-stop': true, 'lr-apply': true });
    await monitor.page.click('#control-pause');
    await monitor.post({ type: 'events', sessionId: session.id, first: events.length, events: [{ type: 'paused', step: 300 }], imageUris: {} });
    await monitor.settle();
    assert.equal(await monitor.page.textContent('#run-status'), 'Paused');
    assert.deepEqual(await enabled(), { 'control-pause': false, 'control-resume': true, 'control-save': true, 'control-stop': true, 'lr-apply': true });
    await monitor.page.click('#control-resume');
    await monitor.page.click('#control-save');

    // The schedule is checked as the user types; a wrong one is not sent.
    await monitor.page.fill('#lr-input', '0.005:abc');
    assert.equal(await monitor.page.getAttribute('#lr-input', 'aria-invalid'), 'true');
    assert.match((await monitor.page.textContent('#lr-help')) ?? '', /"abc" is not a whole step number/);
    await monitor.page.click('#lr-apply');
    await monitor.page.fill('#lr-input', '0.0001:500, 0.00001');
    assert.equal(await monitor.page.getAttribute('#lr-input', 'aria-invalid'), 'false');
    await monitor.page.press('#lr-input', 'Enter');
    await monitor.page.click('#control-stop');
    assert.deepEqual((await monitor.posted()).slice(1), [
      { type: 'action', action: { type: 'pause' } },
      { type: 'action', action: { type: 'resume' } },
      { type: 'action', action: { type: 'saveNow' } },
      { type: 'action', action: { type: 'setLearningRate', schedule: '0.0001:500, 0.00001' } },
      { type: 'action', action: { type: 'stop' } },
    ]);

    await monitor.post({ type: 'events', sessionId: session.id, first: events.length + 1, events: [tinyRunFinished(runDir)], imageUris: {} });
    await monitor.settle();
    assert.equal(await monitor.page.textContent('#run-status'), 'Stopped: diverged');
    assert.deepEqual(await enabled(), { 'control-pause': false, 'control-resume': false, 'control-save': false, 'control-stop': false, 'lr-apply': false });
    // Rolling back needs a running trainer; opening the lint results does not.
    assert.equal(await monitor.page.isDisabled('.notice-diverged button[data-action="rollback"]'), true);
    assert.equal(await monitor.page.isDisabled('.notice-plateau button[data-action="openLintResults"]'), false);
    await monitor.page.close();
  });

  test('shows the figures: step, speed, ETA, memory, provider and configuration', async () => {
    const monitor = await openMonitorPage(browser.context);
    await sendRun(monitor, events);
    const figures = await monitor.page.$$eval('#figures .figure', (nodes) => Object.fromEntries(nodes.map((n) => [n.querySelector('dt')!.textContent, n.querySelector('dd')!.textContent])));
    const last = progressOf(events).at(-1)!;
    assert.equal(figures['Step'], '300 / 1,000');
    assert.equal(figures['Loss'], last.loss!.toFixed(4));
    assert.equal(figures['Learning rate'], '0.002');
    assert.equal(figures['Speed'], '2.50 steps/s');
    assert.equal(figures['ETA'], '4 min 40 s'); // (1000 - 300) / 2.5 = 280 s
    assert.equal(figures['Memory'], '1.1 GiB (peak 1.2 GiB)'); // 1.23e9 B and 1.33e9 B
    const info = await monitor.page.textContent('#run-info');
    assert.match(info ?? '', /kaede_ti \(8 vectors per token\)/);
    assert.match(info ?? '', /Execution provider\s*cpu/);
    assert.match(info ?? '', /cuda: no CUDA device found/);
    const config = await monitor.page.textContent('#run-config');
    assert.match(config ?? '', /learnRate0\.005:100, 0\.002/);
    assert.equal(await monitor.page.evaluate(() => (document.getElementById('step-progress') as HTMLProgressElement).value), 300);
    await monitor.page.close();
  });

  test('comes back from its saved state after being hidden, and asks only for what it missed', async () => {
    const first = await openMonitorPage(browser.context);
    const half = events.length - 100;
    await sendRun(first, events.slice(0, half));
    await first.page.click('#gallery .preview-card[data-key="200|kaede_ti"] .compare-toggle');
    await first.page.fill('#lr-input', '0.0002');
    await first.page.waitForTimeout(700); // the page saves its state at most twice a second
    const before = await chartData(first);
    const state = await first.state();
    await first.page.close();

    const second = await openMonitorPage(browser.context, { state });
    assert.deepEqual(await chartData(second), before);
    assert.deepEqual(await second.posted(), [{ type: 'ready', sessionId: session.id, received: half }]);
    assert.equal(await second.page.inputValue('#lr-input'), '0.0002');
    assert.equal(await second.page.getAttribute('#gallery .preview-card[data-key="200|kaede_ti"] .compare-toggle', 'aria-pressed'), 'true');
    // The host answers with the rest; a resend of what the page already holds is skipped.
    await second.post({ type: 'events', sessionId: session.id, first: half - 20, events: events.slice(half - 20), imageUris });
    await second.post({ type: 'events', sessionId: session.id, first: 0, events: events.slice(0, 30), imageUris });
    await second.settle();
    const progress = progressOf(events);
    const [loss] = await chartData(second);
    assert.deepEqual(loss.points, progress.map((p) => [p.step, p.loss]));
    // A new session replaces the old one.
    await second.post({ type: 'session', session: { ...session, id: 'run-2', title: 'Training other' } });
    await second.settle();
    assert.ok((await chartData(second)).every((d) => d.points.length === 0));
    assert.equal(await second.page.textContent('#run-title'), 'Training other');
    await second.page.close();
  });

  test('with the real host feed: a page hidden and shown again gets exactly what it missed', async () => {
    // The host side (MonitorFeed) talks to the real page; VS Code's part is the message pipe.
    // The page says ready while it loads, before openMonitorPage returns: deliveries wait for it.
    let page: Promise<MonitorPage> | undefined;
    let delivery = Promise.resolve();
    const feed = new MonitorFeed({
      post: (message) => {
        const target = page;
        if (target) delivery = delivery.then(async () => (await target).post(message)).catch(() => undefined);
      },
      imageUri: (path) => pathToFileURL(path).href,
    });
    const toHost = (message: unknown) => {
      const received = feed.receive(message);
      assert.ok(!('invalid' in received), JSON.stringify(received));
    };
    const open = (state?: unknown) => {
      page = openMonitorPage(browser.context, { state, toHost });
      return page;
    };
    const sessionId = feed.startSession({ title: 'Training kaede_ti', runDir, live: true });
    const first = await open();
    const split = Math.floor(events.length / 2);
    feed.appendEvents(events.slice(0, split));
    feed.forward();
    await delivery;
    await first.settle();
    assert.equal(await first.page.evaluate(() => (window as any).__monitor.model.received), split);
    await first.page.waitForTimeout(700); // the page saves its state at most twice a second
    const state = await first.state();

    // Hidden: VS Code tears the page down; the trainer goes on.
    feed.pageHidden();
    page = undefined;
    await first.page.close();
    feed.appendEvents(events.slice(split));
    feed.forward();
    feed.setLive(false);

    // Shown again: the page restores its state and says ready with what it holds.
    const second = await open(state);
    await second.page.waitForFunction((n) => (window as any).__monitor.model.received === n, events.length);
    await delivery;
    await second.settle();
    assert.deepEqual((await second.posted())[0], { type: 'ready', sessionId, received: split });
    const [loss] = await chartData(second);
    assert.deepEqual(loss.points, progressOf(events).map((p) => [p.step, p.loss]));
    assert.equal(await second.page.isDisabled('#control-pause'), true, 'the trainer detached while hidden');
    feed.dispose();
    await second.page.close();
  });

  test('stays light with many steps: older points are thinned past 20,000, the tail stays exact', async () => {
    const monitor = await openMonitorPage(browser.context);
    await monitor.post({ type: 'session', session: { ...session, id: 'long' } });
    const total = 30_000;
    const batch = 2_000;
    for (let start = 0; start < total; start += batch) {
      const list: TrainerEvent[] = Array.from({ length: batch }, (_, i) => {
        const step = start + i + 1;
        return { type: 'progress', step, epoch: 1, epochStep: step, loss: 0.1 + (step % 7) / 100, lossAverage: 0.12, learningRate: 0.005, stepsPerSecond: 10, etaSeconds: 0, memory: { rssBytes: 1, peakRssBytes: 1 } };
      });
      await monitor.post({ type: 'events', sessionId: 'long', first: start, events: list, imageUris: {} });
    }
    await monitor.settle();
    const shape = await monitor.page.evaluate(() => {
      const m = (window as any).__monitor;
      const loss = m.chart.data.datasets[0].data;
      return { points: m.model.steps.length, drawn: m.drawnPoints(), chartLast: loss[loss.length - 1].x, last: m.model.steps.slice(-3), first: m.model.steps[0] };
    });
    assert.ok(shape.points <= 20_000 && shape.points >= 10_000, `kept ${shape.points} points`);
    // The chart is drawn from every kept point, but holds at most two per bucket (800 buckets).
    assert.equal(shape.drawn.from, shape.points);
    assert.ok(shape.drawn.drawn <= 1_602, `drew ${shape.drawn.drawn} points`);
    assert.equal(shape.chartLast, total);
    assert.deepEqual(shape.last, [total - 2, total - 1, total]);
    assert.equal(shape.first, 1);
    assert.deepEqual(monitor.problems, []);
    await monitor.page.close();
  });

  test('keyboard focus and live regions survive a stream of progress', async () => {
    const monitor = await openMonitorPage(browser.context);
    const cut = events.findIndex((e) => e.type === 'progress' && e.step === 296);
    await sendRun(monitor, events.slice(0, cut));
    await monitor.page.focus('.notice-diverged button[data-action="rollback"]');
    await monitor.page.evaluate(() => document.querySelector('.notice-diverged')!.setAttribute('data-marker', 'same node'));
    await monitor.page.focus('#gallery .preview-card[data-key="200|kaede_ti"] .compare-toggle');
    await monitor.page.keyboard.press('Space');
    await monitor.settle();
    const toggleFocus = await monitor.page.evaluate(() => [document.activeElement?.closest<HTMLElement>('.preview-card')?.dataset.key, document.activeElement?.getAttribute('aria-pressed')]);
    assert.deepEqual(toggleFocus, ['200|kaede_ti', 'true']);
    await monitor.page.focus('.notice-diverged button[data-action="rollback"]');
    await monitor.post({ type: 'events', sessionId: session.id, first: cut, events: events.slice(cut), imageUris });
    await monitor.settle();
    const after = await monitor.page.evaluate(() => ({
      focused: document.activeElement?.getAttribute('data-action'),
      sameNotice: document.querySelector('.notice-diverged')?.getAttribute('data-marker'),
    }));
    assert.deepEqual(after, { focused: 'rollback', sameNotice: 'same node' });
    await monitor.page.close();
  });

  test('its Content-Security-Policy blocks inline scripts', async () => {
    const monitor = await openMonitorPage(browser.context);
    await monitor.page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true';
      document.body.append(script);
    });
    await monitor.page.waitForFunction(() => true);
    assert.equal(await monitor.page.evaluate(() => (window as any).__injected), undefined);
    assert.ok(monitor.problems.some((p) => /CSP violation: script-src/.test(p) || /Content Security Policy/.test(p)), monitor.problems.join('\n'));
    await monitor.page.close();
  });

  test('follows a theme change while open', async () => {
    const monitor = await openMonitorPage(browser.context, { theme: 'dark' });
    await sendRun(monitor, events.slice(0, 120));
    await monitor.page.evaluate((variables) => {
      for (const [name, value] of Object.entries(variables)) document.documentElement.style.setProperty(name, value);
      document.body.classList.replace('vscode-dark', 'vscode-light');
    }, themes.light.variables);
    await monitor.settle();
    const colors = await monitor.page.evaluate(() => {
      const chart = (window as any).__monitor.chart;
      return [chart.getDatasetMeta(1).dataset.options.borderColor, chart.options.plugins.lossZones.zones[0].color];
    });
    assert.deepEqual(colors, [themes.light.variables['--vscode-charts-blue'], themes.light.variables['--vscode-charts-green']]);
    await monitor.page.close();
  });

  test('refuses a malformed message from the host and says so', async () => {
    const monitor = await openMonitorPage(browser.context);
    await monitor.post({ type: 'session', session });
    await monitor.page.evaluate(() => window.postMessage({ type: 'events', sessionId: 'run-1', first: 0, events: [{ type: 'progress', step: 'one' }], imageUris: {} }, '*'));
    await monitor.settle();
    assert.match((await monitor.page.textContent('#host-notice')) ?? '', /malformed message.*field 'step'/);
    assert.equal(await monitor.page.evaluate(() => (window as any).__monitor.model.received), 0);
    await monitor.page.close();
  });

  test('renders the events recorded from a real trainer run', async () => {
    const recorded = demoRunEvents();
    const uris = Object.fromEntries(recorded.filter((e): e is EventOf<'preview'> => e.type === 'preview').map((e) => [e.path, pathToFileURL(e.path).href]));
    const monitor = await openMonitorPage(browser.context);
    await monitor.post({ type: 'session', session: { id: 'demo', title: 'Training demoemb', runDir: demoRunDir, live: true } });
    await monitor.post({ type: 'events', sessionId: 'demo', first: 0, events: recorded, imageUris: uris });
    await monitor.settle();
    const [loss, average] = await chartData(monitor);
    assert.deepEqual(loss.points, progressOf(recorded).map((p) => [p.step, p.loss]));
    assert.deepEqual(average.points, progressOf(recorded).map((p) => [p.step, p.lossAverage]));
    assert.equal(await monitor.page.textContent('#run-status'), 'Finished');
    const kinds = await monitor.page.$$eval('#notices .notice', (nodes) => nodes.map((n) => n.getAttribute('data-kind')));
    assert.deepEqual(kinds, ['diverged', 'previews-stable']);
    assert.equal(await monitor.page.locator('#gallery .preview-card').count(), 6);
    await monitor.page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('#gallery img')).every((img) => img.complete && img.naturalWidth === 64));
    await monitor.page.click('#run-info button.link');
    const posted = await monitor.posted();
    assert.deepEqual(posted.at(-1), { type: 'action', action: { type: 'openFile', path: join(demoRunDir, 'embeddings', 'demoemb.safetensors') } });
    await monitor.page.screenshot({ path: join(artifactsDir, 'monitor-recorded-demo-run.png'), fullPage: true });
    assert.deepEqual(monitor.problems, []);
    await monitor.page.close();
  });

  test('reopens a finished run from its folder without the trainer', async () => {
    const replayed = await replayRunFolder(demoRunDir);
    const uris = Object.fromEntries(replayed.filter((e): e is EventOf<'preview'> => e.type === 'preview').map((e) => [e.path, pathToFileURL(e.path).href]));
    const monitor = await openMonitorPage(browser.context);
    await monitor.post({ type: 'session', session: { id: 'replay', title: 'demoemb (run folder)', runDir: demoRunDir, live: false } });
    await monitor.post({ type: 'events', sessionId: 'replay', first: 0, events: replayed, imageUris: uris });
    await monitor.settle();
    const [loss, , , saved] = await chartData(monitor);
    const csvLosses = (await import('node:fs')).readFileSync(join(demoRunDir, 'textual_inversion_loss.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').map(Number));
    assert.deepEqual(loss.points, csvLosses.map(([step, , , value]) => [step, value]));
    assert.deepEqual(saved.points.map(([step]) => step), [100, 200, 300]);
    assert.equal(await monitor.page.textContent('#run-status'), 'Finished (from the run folder)');
    for (const id of ['control-pause', 'control-resume', 'control-save', 'control-stop', 'lr-apply']) assert.equal(await monitor.page.isDisabled(`#${id}`), true, id);
    assert.equal(await monitor.page.locator('#gallery .preview-card').count(), 6);
    assert.deepEqual(monitor.problems, []);
    await monitor.page.close();
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as ThemeKind[]) {
    test(`renders in the ${theme} theme (screenshot in .test-artifacts/webview)`, async () => {
      const monitor = await openMonitorPage(browser.context, { theme });
      await sendRun(monitor, events);
      await monitor.page.waitForFunction(() => Array.from(document.querySelectorAll<HTMLImageElement>('#gallery img')).every((img) => img.complete && img.naturalWidth > 0));
      const colors = await monitor.page.evaluate(() => {
        const chart = (window as any).__monitor.chart;
        // What is drawn: the resolved options of the elements, not only the dataset's settings.
        return {
          average: chart.getDatasetMeta(1).dataset.options.borderColor,
          savedMarker: chart.getDatasetMeta(3).data[0].options.backgroundColor,
          background: getComputedStyle(document.body).backgroundColor,
        };
      });
      const expected = {
        light: ['#1a85ff', '#652d90', 'rgb(255, 255, 255)'],
        dark: ['#3794ff', '#b180d7', 'rgb(31, 31, 31)'],
        'high-contrast': ['#3794ff', '#b180d7', 'rgb(0, 0, 0)'],
      }[theme];
      assert.deepEqual([colors.average, colors.savedMarker, colors.background], expected);
      await monitor.page.screenshot({ path: join(artifactsDir, `monitor-${theme}.png`), fullPage: true });
      assert.deepEqual(monitor.problems, []);
      await monitor.page.close();
    });
  }
});

// Keep the fixture honest: the zones it claims to pass through are really in its numbers.
test('the fixture run passes through every loss zone', () => {
  const averages = progressOf(tinyRunEvents('/run')).map((p) => p.lossAverage ?? Number.NaN);
  assert.ok(averages.some((a) => a > 0.3));
  assert.ok(averages.some((a) => a >= 0.17 && a <= 0.25));
  assert.ok(averages.some((a) => a >= 0.08 && a <= 0.13));
  assert.equal(tinyRun.lastStep, 300);
});
