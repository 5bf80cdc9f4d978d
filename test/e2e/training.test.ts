// Training from the editor, end to end in code-server: "Start Training" from the palette on the
// fixture checkpoint in a generated dataset (the form accepted with Enter: its values come from
// the settings), the monitor showing a loss chart that grows and a preview, Stop from the
// monitor, and the saved embedding in the Runs view. Screenshots: .test-artifacts/e2e/training.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { repoRoot, runPaletteCommand, startCodeServer, timeouts, type CodeServerSession } from './codeServer';

const trainingTimeout = 180_000;
let dataset: string;
let session: CodeServerSession;

before(async () => {
  assert.ok(existsSync(join(repoRoot, 'dist', 'trainer.js')), 'dist/trainer.js is missing: npm run build');
  dataset = mkdtempSync(join(tmpdir(), 'es-train-e2e-'));
  await writeDemoDataset(dataset, 3, 64, 4);
  session = await startCodeServer({
    workspace: dataset,
    name: 'training',
    settings: {
      'embeddingStudio.modelPath': join(repoRoot, 'test/fixtures/sd1-tiny/model.safetensors'),
      'embeddingStudio.executionProvider': 'cpu',
      // the fixture is a tiny SD1 (64-wide text encoder, 4 and 2 heads): its run settings
      'embeddingStudio.training.defaults': { width: 64, height: 64, textHeads: 4, unetHeads: 2, maxSteps: 5000, saveEvery: 5, previewEvery: 8, previewSteps: 3, writeCsvEvery: 1, seed: 1 },
    },
  });
});

after(async () => {
  await session?.stop();
  rmSync(dataset, { recursive: true, force: true });
});

/** Waits for the quick input showing `title`, then accepts its prefilled value or active item. */
async function accept(page: Page, title: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Enter');
}

/** The monitor page's frame (the webview's inner document). */
async function monitorFrame(page: Page): Promise<Frame> {
  const outer = await page.locator('iframe.webview.ready').first().elementHandle({ timeout: trainingTimeout });
  const outerFrame = await outer!.contentFrame();
  const inner = await outerFrame!.locator('iframe#active-frame').elementHandle({ timeout: timeouts.screen });
  const frame = await inner!.contentFrame();
  await frame!.locator('#loss-chart').waitFor({ timeout: timeouts.screen });
  return frame!;
}

const chartPoints = (frame: Frame) => frame.evaluate(() => ((window as any).__monitor?.chart?.data?.datasets?.[0]?.data?.length ?? 0) as number);

it('starts training from the palette, shows it in the monitor, stops it, and lists the embedding', { timeout: 6 * 60_000 }, async () => {
  const { page } = session;
  // our activity-bar container appears once the extension's contributions are registered
  await page.locator('.activitybar .action-item a[aria-label^="Embedding Studio"]').waitFor({ timeout: timeouts.workbench });
  await runPaletteCommand(page, 'Embedding Studio: Start Training');
  // the dataset: the workspace folder is the only one with images
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Another folder' }).waitFor({ timeout: timeouts.screen });
  await session.screenshot('pick-dataset');
  await page.keyboard.press('Enter');
  await accept(page, 'Start Training: model');
  await accept(page, 'Start Training: embedding name');
  await accept(page, 'Start Training: vectors per token');
  await accept(page, 'Start Training: initialization text');
  await accept(page, 'Start Training: learning rate');
  await accept(page, 'Start Training: prompt template');
  await accept(page, 'Start Training: max steps');
  await accept(page, 'Start Training: save every');
  await accept(page, 'Start Training: preview every');
  await accept(page, 'Start Training: batch size');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'check and start' }).waitFor({ timeout: timeouts.screen });
  await session.screenshot('check-and-start');
  await page.keyboard.press('Enter');

  // the monitor opens beside the editor and the loss chart grows as the trainer reports
  const frame = await monitorFrame(page);
  await frame.waitForFunction(() => ((window as any).__monitor?.chart?.data?.datasets?.[0]?.data?.length ?? 0) >= 3, undefined, { timeout: trainingTimeout });
  const early = await chartPoints(frame);
  await session.screenshot('monitor-early');
  await frame.waitForFunction((n) => ((window as any).__monitor?.chart?.data?.datasets?.[0]?.data?.length ?? 0) > n + 3, early, { timeout: trainingTimeout });
  assert.ok((await chartPoints(frame)) > early + 3);
  // the status bar shows the running step
  await page.locator('.statusbar-item', { hasText: /workspace \d+\/5000/ }).first().waitFor({ timeout: timeouts.screen });
  // a preview (step 8) reaches the gallery as an image the webview can load
  const preview = frame.locator('#gallery img').first();
  await preview.waitFor({ timeout: trainingTimeout });
  await frame.waitForFunction(() => {
    const img = document.querySelector('#gallery img') as HTMLImageElement | null;
    return !!img && img.complete && img.naturalWidth > 0;
  }, undefined, { timeout: timeouts.screen });
  await session.screenshot('monitor-preview');

  // Pause and Resume from the monitor: the status bar follows the trainer
  await frame.locator('#control-pause').click();
  await page.locator('.statusbar-item', { hasText: /workspace \d+\/5000.*paused/ }).first().waitFor({ timeout: trainingTimeout });
  await frame.locator('#control-resume:not([disabled])').waitFor({ timeout: timeouts.screen });
  await session.screenshot('paused');
  await frame.locator('#control-resume').click();
  await page.locator('.statusbar-item', { hasText: /workspace \d+\/5000.*ETA/ }).first().waitFor({ timeout: trainingTimeout });
  // a live learning-rate change from the monitor's form reaches the trainer and comes back
  await frame.locator('#lr-input').fill('0.00123');
  await frame.locator('#lr-apply').click();
  // wait until a step trained at the new rate is on the chart's learning-rate line
  await frame.waitForFunction(() => {
    const line = (window as any).__monitor?.chart?.data?.datasets?.find((d: any) => d.label === 'Learning rate');
    const last = line?.data?.[line.data.length - 1];
    return last?.y === 0.00123;
  }, undefined, { timeout: trainingTimeout });

  // Stop from the monitor: the trainer saves the final embedding and exits
  await frame.locator('#control-stop').click();
  await page.locator('.notifications-toasts .notification-toast', { hasText: /"workspace" stopped at step \d+/ }).waitFor({ timeout: trainingTimeout });
  await session.screenshot('stopped');

  // the Runs view lists the run and its saved embedding
  await page.locator('.activitybar .action-item a[aria-label^="Embedding Studio"]').click();
  const runsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Runs' }) });
  await runsPane.locator('.monaco-list-row', { hasText: 'workspace' }).first().waitFor({ timeout: timeouts.screen });
  await runsPane.locator('.monaco-list-row', { hasText: 'workspace.safetensors' }).waitFor({ timeout: timeouts.screen });
  await session.screenshot('runs-view');
  // the Dataset view's tag frequency list: a click finds the tag in the captions
  const datasetPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Dataset' }) });
  await datasetPane.locator('.monaco-list-row', { hasText: 'Tags' }).click();
  const tagRow = datasetPane.locator('.monaco-list-row', { hasText: 'red hair' });
  await tagRow.waitFor({ timeout: timeouts.screen });
  assert.match(await tagRow.innerText(), /red hair\s*3/);
  await tagRow.click();
  await page.locator('.search-view .monaco-list-row', { hasText: 'red hair' }).first().waitFor({ timeout: timeouts.screen });
  await session.screenshot('find-tag');

  const runDir = join(session.workspace, '.embedding-studio', 'runs', 'workspace');
  assert.ok(existsSync(join(runDir, 'embeddings', 'workspace.safetensors')));
  const rates = readFileSync(join(runDir, 'textual_inversion_loss.csv'), 'utf8').trim().split('\n').slice(1).map((line) => Number(line.split(',')[4]));
  assert.equal(rates[0], 0.005);
  assert.equal(rates[rates.length - 1], 0.00123, 'the last steps ran at the rate set in the monitor');
});
