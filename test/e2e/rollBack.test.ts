// Roll Back to Best Embedding from the palette, as a user does it: a training started from the
// form on the fixture checkpoint is paused, rolled back to the saved embedding the input box names
// (with the tutorial's next lower learning rate it proposes), saved with Save Embedding Now, and resumed.
// The file saved right after the rollback must hold exactly the vectors of the file rolled back
// to (a step that was not the paused one, so without the rollback they would differ), and the
// steps after it run at the new rate. Screenshots: .test-artifacts/e2e/roll-back.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { quickInputRow, repoRoot, runPaletteCommand, startCodeServer, timeouts, waitForFile, waitForQuickInput, withFailureScreenshot, type CodeServerSession } from './codeServer';

const trainingTimeout = 120_000;
let dataset: string;
let session: CodeServerSession;

before(async () => {
  assert.ok(existsSync(join(repoRoot, 'dist', 'trainer.js')), 'dist/trainer.js is missing: npm run build');
  dataset = mkdtempSync(join(tmpdir(), 'es-rollback-e2e-'));
  await writeDemoDataset(dataset, 3, 64, 4);
  session = await startCodeServer({
    workspace: dataset,
    name: 'roll-back',
    settings: {
      'embeddingStudio.modelPath': join(repoRoot, 'test/fixtures/sd1-tiny/model.safetensors'),
      'embeddingStudio.executionProvider': 'cpu',
      // the fixture is a tiny SD1 (64-wide text encoder, 4 and 2 heads); no previews, a save every 2 steps
      'embeddingStudio.training.defaults': { width: 64, height: 64, textHeads: 4, unetHeads: 2, maxSteps: 5000, saveEvery: 2, previewEvery: 0, writeCsvEvery: 1, seed: 1 },
    },
  });
});

after(async () => {
  await session?.stop();
  rmSync(dataset, { recursive: true, force: true });
});

/** Waits for the training status-bar item to show a step (and, with `paused`, the paused state); returns the step. */
async function statusStep(page: Page, atLeast: number, paused: boolean): Promise<number> {
  const handle = await page.waitForFunction(
    ({ atLeast, paused }) => {
      for (const item of Array.from(document.querySelectorAll('.statusbar-item'))) {
        const match = /workspace (\d+)\/5000/.exec(item.textContent ?? '');
        if (match && Number(match[1]) >= atLeast && /paused/.test(item.textContent ?? '') === paused) return Number(match[1]);
      }
      return false;
    },
    { atLeast, paused },
    { timeout: trainingTimeout },
  );
  return (await handle.jsonValue()) as number;
}

function embeddingVectors(path: string): Float32Array {
  return readEmbeddingFile(path).vectors;
}

it('rolls a paused training back to its best saved embedding and continues at the lower rate', { timeout: 4 * 60_000 }, () =>
  withFailureScreenshot(session, async () => {
    const { page } = session;
    await page.locator('.activitybar .action-item a[aria-label^="Embedding Studio"]').waitFor({ timeout: timeouts.workbench });
    // the caption server is up: the workbench has settled (the palette closes if the focus moves)
    await page.locator('.statusbar-item', { hasText: 'Captions' }).first().waitFor({ timeout: timeouts.workbench });
    // with nothing training, the command says so and how to start
    await runPaletteCommand(page, 'Embedding Studio: Roll Back to Best Embedding');
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'Roll Back to Best Embedding: no training is running. Start one with "Embedding Studio: Start Training"' }).waitFor({ timeout: timeouts.screen });
    await runPaletteCommand(page, 'Embedding Studio: Start Training');
    await quickInputRow(page, 'Another folder').waitFor({ timeout: timeouts.screen });
    await page.keyboard.press('Enter');
    // the form's values come from the settings: accept each page
    for (const title of ['model', 'embedding name', 'vectors per token', 'initialization text', 'learning rate', 'prompt template', 'max steps', 'save every', 'preview every', 'batch size', 'check and start']) {
      await waitForQuickInput(page, `Start Training: ${title}`);
      await page.keyboard.press('Enter');
    }
    const embeddings = join(session.workspace, '.embedding-studio', 'runs', 'workspace', 'embeddings');

    // Pause once two embeddings are saved (steps 2 and 4). The rollback must land on another step
    // than the paused one, or its vectors would equal the current ones: if the best is the paused
    // step's save, cancel, train on and pause again.
    let step = 5;
    let target: { file: string; step: number } | undefined;
    for (let attempt = 0; attempt < 4 && !target; attempt++) {
      await statusStep(page, step, false);
      await runPaletteCommand(page, 'Embedding Studio: Pause Training');
      step = await statusStep(page, step, true);
      await runPaletteCommand(page, 'Embedding Studio: Roll Back to Best Embedding');
      const title = page.locator('.quick-input-widget .quick-input-title', { hasText: /^Roll back "workspace" to / });
      await title.waitFor({ timeout: timeouts.screen });
      const match = /to (workspace-(\d+)\.safetensors) \(loss \d\.\d{4}\)$/.exec(await title.innerText());
      assert.ok(match, `the input box names the file: ${await title.innerText()}`);
      if (Number(match[2]) !== step) {
        target = { file: join(embeddings, match[1]), step: Number(match[2]) };
        break;
      }
      await page.keyboard.press('Escape');
      await runPaletteCommand(page, 'Embedding Studio: Resume Training');
      step += 2;
    }
    assert.ok(target, 'a rollback target other than the paused step');
    // the proposal: the tutorial's step down from 0.005 (A1111's default rate) is 0.0001
    assert.equal(await page.locator('.quick-input-widget input').inputValue(), '0.0001');
    await session.screenshot('roll-back-asked');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeouts.screen });

    // still paused: Save Embedding Now writes the rolled-back vectors as workspace-STEP
    const saved = join(embeddings, `workspace-${step}.safetensors`);
    const before = existsSync(saved) ? readFileSync(saved) : undefined;
    await runPaletteCommand(page, 'Embedding Studio: Save Embedding Now');
    await waitForFile(saved, (bytes) => !before || !bytes.equals(before), trainingTimeout);
    const expected = embeddingVectors(target.file);
    const actual = embeddingVectors(saved);
    assert.equal(actual.length, expected.length);
    assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)), `the vectors saved after the rollback are those of ${target.file}`);

    // Resume: the steps after the rollback train at the rate given in the input box (the loss
    // log is written at every step)
    await runPaletteCommand(page, 'Embedding Studio: Resume Training');
    const csv = join(session.workspace, '.embedding-studio', 'runs', 'workspace', 'textual_inversion_loss.csv');
    const table = (bytes: Buffer) => bytes.toString('utf8').trim().split('\n').slice(1).map((line) => line.split(',').map(Number));
    const rows = table(await waitForFile(csv, (bytes) => table(bytes).some((r) => r[0] === step + 1), trainingTimeout));
    await session.screenshot('resumed');
    const rateAt = (s: number) => rows.find((r) => r[0] === s)?.[4];
    assert.equal(rateAt(step), 0.005, 'the paused step ran at the first rate');
    assert.equal(rateAt(step + 1), 0.0001, 'the step after the rollback ran at the rate from the input box');
  }));
