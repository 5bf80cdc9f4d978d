// Auto-tag Images in its "Review the changes first" mode, as a user does it: the planned
// captions appear in VS Code's Refactor Preview and nothing is written until Apply. Discard
// writes nothing; Apply writes (and saves to disk, where training reads them) exactly the
// entries the user ticked, and the notification counts them. Screenshots: .test-artifacts/e2e/auto-tag-review.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { v3Like, writeTestTagger } from '../dataset/testTaggerModel';
import { quickInputRow, runPaletteCommand, startCodeServer, timeouts, waitForFile, waitForQuickInput, withFailureScreenshot, type CodeServerSession } from './codeServer';

let root: string;
let session: CodeServerSession;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'es-autotag-review-e2e-'));
  mkdirSync(join(root, 'tagger'));
  writeTestTagger(join(root, 'tagger'), v3Like);
  for (const [name, colour] of [['red', '#ff0000'], ['white', '#ffffff'], ['blue', '#0000ff']]) {
    await sharp({ create: { width: 64, height: 64, channels: 3, background: colour } }).png().toFile(join(root, `${name}.png`));
  }
  writeFileSync(join(root, 'white.txt'), 'mychar\n');
  writeFileSync(join(root, 'blue.txt'), 'mychar\n');
  session = await startCodeServer({ workspace: root, name: 'auto-tag-review', settings: { 'embeddingStudio.executionProvider': 'cpu' } });
});

after(async () => {
  await session?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Auto-tag Images with the test tagger in review mode, up to the Refactor Preview. */
async function autoTagForReview(page: Page): Promise<void> {
  await runPaletteCommand(page, 'Embedding Studio: Auto-tag Images');
  await quickInputRow(page, 'Another folder').waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Enter');
  // code-server's own file dialog: a quick input holding a path
  await waitForQuickInput(page, 'tagger model');
  await quickInputRow(page, 'tagger').waitFor({ timeout: timeouts.screen });
  await page.locator('.quick-input-widget input').fill(join(session.workspace, 'tagger', 'model.onnx'));
  await quickInputRow(page, 'model.onnx').waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Enter');
  await quickInputRow(page, 'Review the changes first').click({ timeout: timeouts.screen });
  for (const label of ['Creating red.txt', 'white.txt, making text edits', 'blue.txt, making text edits']) {
    await previewRow(page, label).waitFor({ timeout: 90_000 });
  }
}

const previewRow = (page: Page, label: string) => page.locator(`.bulk-edit-panel .monaco-list-row[aria-label="${label}"]`);
const previewButton = (page: Page, title: string) => page.locator('.bulk-edit-panel .buttons .monaco-button', { hasText: title });
const toast = (page: Page, text: RegExp) => page.locator('.notifications-toasts .notification-toast', { hasText: text });

it('shows auto-tag captions in the Refactor Preview; Discard writes nothing, Apply writes and saves the ticked ones', { timeout: 3 * 60_000 }, () =>
  withFailureScreenshot(session, async () => {
    const { page } = session;
    const ws = session.workspace;
    await page.locator('.monaco-list-row', { hasText: 'red.png' }).first().waitFor({ timeout: timeouts.workbench });
    await page.locator('.statusbar-item', { hasText: 'Captions' }).first().waitFor({ timeout: timeouts.workbench });

    // Discard: nothing on disk changes
    await autoTagForReview(page);
    await session.screenshot('preview');
    assert.ok(!existsSync(join(ws, 'red.txt')), 'nothing is written while the preview is open');
    assert.equal(readFileSync(join(ws, 'white.txt'), 'utf8'), 'mychar\n');
    await previewButton(page, 'Discard').click();
    await toast(page, /3 images tagged on cpu, no captions written \(the changes were discarded\)/).waitFor({ timeout: timeouts.screen });
    assert.ok(!existsSync(join(ws, 'red.txt')));
    assert.equal(readFileSync(join(ws, 'white.txt'), 'utf8'), 'mychar\n');
    assert.equal(readFileSync(join(ws, 'blue.txt'), 'utf8'), 'mychar\n');

    // Apply with red.txt and white.txt ticked, blue.txt not: those two are written to disk
    await autoTagForReview(page);
    await previewRow(page, 'Creating red.txt').locator('input.edit-checkbox').check();
    await previewRow(page, 'white.txt, making text edits').locator('input.edit-checkbox').check();
    assert.equal(await previewRow(page, 'blue.txt, making text edits').locator('input.edit-checkbox').isChecked(), false);
    await session.screenshot('ticked');
    await previewButton(page, 'Apply').click();
    await toast(page, /3 images tagged on cpu, 2 captions written, 1 not ticked in the preview/).waitFor({ timeout: timeouts.screen });
    await session.screenshot('applied');
    assert.match(readFileSync(join(ws, 'red.txt'), 'utf8'), /red theme/);
    await waitForFile(join(ws, 'white.txt'), (bytes) => bytes.toString('utf8') !== 'mychar\n');
    assert.match(readFileSync(join(ws, 'white.txt'), 'utf8'), /^mychar, .*white background/, 'the applied caption is saved to disk, where training reads it');
    assert.equal(readFileSync(join(ws, 'blue.txt'), 'utf8'), 'mychar\n', 'the caption left unticked is untouched');
    // nothing is left unsaved in the editor
    await page.locator('.tabs-container .tab.dirty').waitFor({ state: 'detached', timeout: timeouts.screen });
  }));
