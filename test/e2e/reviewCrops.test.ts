// Review Crops from the palette: the panel lists the dataset's images with captions and lint
// problems; re-crop saves a square; delete (after the modal confirm) removes image and caption.
// Screenshots: .test-artifacts/e2e/review-crops.
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { writeDataset } from '../server/generatedDataset';
import { runPaletteCommand, startCodeServer, timeouts, waitForProblem, type CodeServerSession } from './codeServer';

let dataset: string;
let session: CodeServerSession;

before(async () => {
  dataset = await writeDataset([
    { stem: 'bob_01', caption: '1boy, short hair, absurdres' },
    { stem: 'bob_02', caption: '1boy, short hair' },
    { stem: 'bob_03' },
  ]);
  session = await startCodeServer({ workspace: dataset, name: 'review-crops' });
});

after(async () => {
  await session?.stop();
  rmSync(dataset, { recursive: true, force: true });
});

async function reviewFrame(page: Page): Promise<Frame> {
  const outer = await page.locator('iframe.webview.ready').first().elementHandle({ timeout: timeouts.screen });
  const outerFrame = await outer!.contentFrame();
  const inner = await outerFrame!.locator('iframe#active-frame').elementHandle({ timeout: timeouts.screen });
  const frame = await inner!.contentFrame();
  await frame!.locator('#grid .card').first().waitFor({ timeout: timeouts.screen });
  return frame!;
}

it('reviews crops: images, captions and problems; re-crop and delete', { timeout: 3 * 60_000 }, async () => {
  const { page } = session;
  await waitForProblem(page, /absurdres/);
  await runPaletteCommand(page, 'Embedding Studio: Review Crops');
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Enter');
  const frame = await reviewFrame(page);
  await frame.locator('#grid .card').nth(2).waitFor({ timeout: timeouts.screen });
  assert.equal(await frame.locator('#grid .card').count(), 3);
  const first = frame.locator('.card[data-id$="bob_01.png"]');
  await first.locator('.problems li', { hasText: /absurdres/ }).waitFor({ timeout: timeouts.screen });
  await frame.locator('.card[data-id$="bob_03.png"] .caption.missing').waitFor({ timeout: timeouts.screen });
  await session.screenshot('grid');

  const image = join(session.workspace, 'bob_02.png');
  // a solid-colour test image crops to the same pixels: the file is replaced (atomic write: a new inode)
  const stamp = () => { const s = statSync(image); return `${s.ino}:${s.mtimeMs}`; };
  const before = stamp();
  await frame.locator('.card[data-id$="bob_02.png"] button', { hasText: 'Re-crop' }).dispatchEvent('click');
  await frame.locator('#selection').focus();
  await page.keyboard.press('-');
  await page.keyboard.press('-');
  await session.screenshot('re-crop');
  await frame.locator('#editor-save').dispatchEvent('click'); // the Problems panel may cover the dialog
  const deadline = Date.now() + timeouts.screen;
  while (stamp() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.notEqual(stamp(), before, 'the re-crop was saved over the image');

  await first.locator('button', { hasText: 'Delete' }).dispatchEvent('click'); // the Problems panel may cover the card
  const confirm = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Delete$/ });
  await confirm.waitFor({ timeout: timeouts.screen });
  await session.screenshot('delete-confirm');
  await confirm.click();
  // code-server's file system has no trash: the panel then asks to delete permanently
  const permanently = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Delete Permanently$/ });
  const card = frame.locator('.card[data-id$="bob_01.png"]');
  await Promise.race([permanently.waitFor({ timeout: timeouts.screen }), card.waitFor({ state: 'detached', timeout: timeouts.screen })]);
  if (await permanently.isVisible()) {
    await session.screenshot('delete-permanently');
    await permanently.click();
  }
  await frame.locator('.card[data-id$="bob_01.png"]').waitFor({ state: 'detached', timeout: timeouts.screen });
  assert.ok(!existsSync(join(session.workspace, 'bob_01.png')) && !existsSync(join(session.workspace, 'bob_01.txt')));
  await session.screenshot('deleted');
});
