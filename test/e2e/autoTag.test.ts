// Auto-tag Images from the palette with the test tagger: captions are written by one
// WorkspaceEdit and saved to disk (training reads them there). Screenshots: .test-artifacts/e2e/auto-tag.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import sharp from 'sharp';
import { v2Like, writeTestTagger } from '../dataset/testTaggerModel';
import { activeEditor, openFile, runPaletteCommand, startCodeServer, timeouts, type CodeServerSession } from './codeServer';

let root: string;
let session: CodeServerSession;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'es-autotag-e2e-'));
  mkdirSync(join(root, 'tagger'));
  writeTestTagger(join(root, 'tagger'), v2Like);
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).png().toFile(join(root, 'red.png'));
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } }).png().toFile(join(root, 'white.png'));
  writeFileSync(join(root, 'white.txt'), 'mychar\n');
  session = await startCodeServer({ workspace: root, name: 'auto-tag', settings: { 'embeddingStudio.executionProvider': 'cpu' } });
});

after(async () => {
  await session?.stop();
  rmSync(root, { recursive: true, force: true });
});

it('auto-tags a dataset as one workspace edit, saves the captions, and one Undo reverts the run', { timeout: 3 * 60_000 }, async () => {
  const { page } = session;
  await page.locator('.monaco-list-row', { hasText: 'red.png' }).first().waitFor({ timeout: timeouts.workbench });
  await page.locator('.statusbar-item', { hasText: 'Captions' }).first().waitFor({ timeout: timeouts.workbench });
  await runPaletteCommand(page, 'Embedding Studio: Auto-tag Images');
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Enter');
  // code-server's own file dialog: a quick input holding a path
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'tagger model' }).waitFor({ timeout: timeouts.screen });
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'tagger' }).waitFor({ timeout: timeouts.screen });
  await page.locator('.quick-input-widget input').fill(join(session.workspace, 'tagger', 'model.onnx'));
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'model.onnx' }).first().waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Enter');
  await session.screenshot('model-chosen');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Also add missing tags' }).click({ timeout: timeouts.screen });
  const red = join(session.workspace, 'red.txt');
  const deadline = Date.now() + 90_000;
  while (!existsSync(red) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  await session.screenshot('tagged');
  assert.match(readFileSync(red, 'utf8'), /red theme/);
  const white = join(session.workspace, 'white.txt');
  while (readFileSync(white, 'utf8') === 'mychar\n' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.match(readFileSync(white, 'utf8'), /^mychar, .*white background/, 'the existing caption gained its missing tags, saved to disk');

  // One Undo (across files) reverts the whole run: the new caption goes, the old one comes back.
  const editor = await openFile(page, 'white.txt');
  await editor.click();
  await page.keyboard.press('Control+Z');
  // VS Code may ask whether to undo across files; here it undoes the whole edit at once.
  const acrossFiles = page.locator('.monaco-dialog-box .monaco-button', { hasText: /Undo in \d+ Files/ });
  if (await acrossFiles.waitFor({ timeout: 3000 }).then(() => true, () => false)) await acrossFiles.click();
  await activeEditor(page).filter({ hasText: /^mychar\s*$/ }).waitFor({ timeout: timeouts.screen });
  await session.screenshot('undone');
  const undoDeadline = Date.now() + timeouts.screen;
  while (existsSync(red) && Date.now() < undoDeadline) await new Promise((r) => setTimeout(r, 250));
  assert.ok(!existsSync(red), 'the created caption was removed by the undo');
});
