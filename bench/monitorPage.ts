// The monitor page under a long run, in real headless Chromium: 30,000 progress events posted in
// messages of 10 (as the host's 50 ms batching sends a fast trainer's output). Reports the time
// until the page has drawn them all, against the same messages posted to a page that only
// receives them (the reference, measured in the same run),
// the cost of one chart redraw at the points kept, the saved state's size, and how long a restore
// from that state takes against a cold load of the empty page (both timed inside the page).
// Run: npm run build && node --import tsx bench/monitorPage.ts

import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { artifactsDir, ensureBuilt, launchMonitorBrowser, openMonitorPage } from '../test/webview/monitorPageHarness';

const totalSteps = 30_000;
const perMessage = 10;

/**
 * Runs in the page: posts the run as the host would (messages of `perMessage` progress events),
 * waits until `done()` says all arrived and two frames were drawn; returns milliseconds. The events
 * are made in the page so the timing is the page's, not the test driver's.
 */
function postRunInPage({ total, batch, counter }: { total: number; batch: number; counter: string }): Promise<number> {
  const progress = (step: number) => ({
    type: 'progress',
    step,
    epoch: Math.floor((step - 1) / 40),
    epochStep: (step - 1) % 40,
    loss: 0.1 + 0.05 * Math.sin(step / 37) + ((step * 7919) % 100) / 2000,
    lossAverage: 0.12 + 0.02 * Math.sin(step / 500),
    learningRate: step < 12_000 ? 0.005 : 0.0001,
    stepsPerSecond: 3.2,
    etaSeconds: (100_000 - step) / 3.2,
    memory: { rssBytes: 2e9, peakRssBytes: 2.5e9 },
  });
  const messages = [];
  for (let start = 1; start <= total; start += batch) {
    messages.push({ type: 'events', sessionId: 'bench', first: start - 1, events: Array.from({ length: batch }, (_, i) => progress(start + i)), imageUris: {} });
  }
  const received = new Function(`return ${counter}`) as () => number;
  const began = performance.now();
  for (const message of messages) window.postMessage(message, '*');
  return new Promise((done) => {
    const check = () => {
      if (received() < total) setTimeout(check, 2);
      else {
        const monitor = (window as unknown as { __monitor?: { whenDrawn(): Promise<void> } }).__monitor;
        const drawn = monitor ? monitor.whenDrawn() : new Promise<void>((frame) => requestAnimationFrame(() => frame()));
        void drawn.then(() => done(performance.now() - began));
      }
    };
    check();
  });
}

async function main(): Promise<void> {
  ensureBuilt();
  const browser = await launchMonitorBrowser();
  const args = { total: totalSteps, batch: perMessage };

  // Reference: the same messages to a page that only counts them.
  const bare = await browser.context.newPage();
  await bare.addInitScript('window.__name = (target) => target;');
  const barePath = join(artifactsDir, 'bare.html');
  writeFileSync(barePath, '<!DOCTYPE html><html><body><script>window.count=0;addEventListener("message",(e)=>{window.count+=e.data.events.length});</script></body></html>');
  await bare.goto(pathToFileURL(barePath).href);
  const bareMs = await bare.evaluate(postRunInPage, { ...args, counter: 'window.count' });
  await bare.close();

  const monitor = await openMonitorPage(browser.context);
  await monitor.post({ type: 'session', session: { id: 'bench', title: 'Bench', runDir: null, live: true } });
  await monitor.settle();
  const monitorMs = await monitor.page.evaluate(postRunInPage, { ...args, counter: 'window.__monitor.model.received' });
  const points = await monitor.page.evaluate(() => (window as any).__monitor.model.steps.length);
  await monitor.page.waitForTimeout(700);
  const state = await monitor.state();
  const stateBytes = JSON.stringify(state).length;
  await monitor.page.close();

  // Load times measured in the page: navigation start to the first drawn frame.
  const loadedIn = async (page: Awaited<ReturnType<typeof openMonitorPage>>) => page.page.evaluate(() => performance.now());
  const cold = await openMonitorPage(browser.context);
  const coldMs = await loadedIn(cold);
  await cold.page.close();
  const restored = await openMonitorPage(browser.context, { state });
  const restoreMs = await loadedIn(restored);
  const restoredPoints = await restored.page.evaluate(() => (window as any).__monitor.drawnPoints().from);
  const updateMs = await restored.page.evaluate(() => {
    const chart = (window as any).__monitor.chart;
    const began = performance.now();
    for (let i = 0; i < 10; i++) chart.update('none');
    return (performance.now() - began) / 10;
  });
  await restored.page.close();
  await browser.close();

  console.log(`monitor page, ${totalSteps} progress events in messages of ${perMessage} (headless Chromium)`);
  console.log(`  ingest and draw: ${monitorMs.toFixed(0)} ms; same messages to a page that only counts them: ${bareMs.toFixed(0)} ms; ratio ${(monitorMs / bareMs).toFixed(2)}`);
  console.log(`  per step: ${((monitorMs / totalSteps) * 1000).toFixed(1)} µs; one chart redraw at ${restoredPoints} points: ${updateMs.toFixed(1)} ms`);
  console.log(`  points kept: ${points} (limit 20,000); saved state: ${(stateBytes / 1024 / 1024).toFixed(2)} MiB`);
  console.log(`  restore from state: ${restoreMs.toFixed(0)} ms (${restoredPoints} points); cold load of the empty page: ${coldMs.toFixed(0)} ms; ratio ${(restoreMs / coldMs).toFixed(2)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
