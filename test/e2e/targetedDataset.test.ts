// Make Targeted Dataset from the palette: crops of the most detailed square of the chosen image,
// at 512×512, with the given caption, in the chosen folder. Screenshots: .test-artifacts/e2e/targeted-dataset.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { chooseFolderInDialog, runPaletteCommand, startCodeServer, timeouts, type CodeServerSession } from './codeServer';

let root: string;
let session: CodeServerSession;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'es-targeted-e2e-'));
  mkdirSync(join(root, 'crops'));
  await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3060a0' } }).png().toFile(join(root, 'face.png'));
  session = await startCodeServer({ workspace: root, name: 'targeted-dataset' });
});

after(async () => {
  await session?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** code-server's own file dialog: a quick input holding a path; waits for the path's row, then accepts. */
async function choosePath(page: Page, title: string, path: string, row: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: timeouts.screen });
  await page.locator('.quick-input-list .monaco-list-row').nth(1).waitFor({ timeout: timeouts.screen });
  await page.locator('.quick-input-widget input').fill(path);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: row }).first().waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Enter');
}

it('makes a targeted dataset of detail crops with a caption', { timeout: 3 * 60_000 }, async () => {
  const { page } = session;
  await page.locator('.monaco-list-row', { hasText: 'face.png' }).first().waitFor({ timeout: timeouts.workbench });
  await page.locator('.statusbar-item', { hasText: 'Captions' }).first().waitFor({ timeout: timeouts.workbench });
  await runPaletteCommand(page, 'Embedding Studio: Make Targeted Dataset');
  await choosePath(page, 'images to crop', join(session.workspace, 'face.png'), 'face.png');
  // The first folder's listing has a `..` row too: wait for the listing of `crops` itself.
  await chooseFolderInDialog(page, 'destination folder', join(session.workspace, 'crops'));
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'caption (optional)' }).waitFor({ timeout: timeouts.screen });
  await page.locator('.quick-input-widget input').fill('star-shaped pupils');
  await page.keyboard.press('Enter');
  const crop = join(session.workspace, 'crops', 'face-detail.png');
  const deadline = Date.now() + timeouts.screen;
  while (!existsSync(join(session.workspace, 'crops', 'face-detail.txt')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  await session.screenshot('done');
  const meta = await sharp(crop).metadata();
  assert.deepEqual([meta.width, meta.height], [512, 512]);
  assert.equal(readFileSync(join(session.workspace, 'crops', 'face-detail.txt'), 'utf8'), 'star-shaped pupils');
});
