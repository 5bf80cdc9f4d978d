// The extension in a real VS Code (code-server + headless Chromium): a generated dataset shows its
// caption problems in the Problems panel, and a quick fix chosen from the editor (Ctrl+.) changes
// the text and clears the problem. Screenshots of each step: .test-artifacts/e2e/caption-diagnostics.
// E2E_VSIX=path/to.vsix tests an installed VSIX instead of the linked repository folder.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDataset } from '../server/generatedDataset';
import { activeEditorText, applyQuickFix, openFile, repoRoot, runPaletteCommand, startCodeServer, timeouts, waitForProblem, type CodeServerSession } from './codeServer';

let dataset: string;
let session: CodeServerSession;
const started = performance.now();

before(async () => {
  if (!process.env.E2E_VSIX) assert.ok(existsSync(join(repoRoot, 'dist', 'server.js')), 'dist/server.js is missing: run `npm run build` (npm run test:e2e does)');
  dataset = await writeDataset([
    { stem: 'alice_01', caption: '1girl, long hair, long hair, smile' },
    { stem: 'alice_02', caption: '1girl, long hair, smile' },
    { stem: 'alice_03', caption: '1girl, long hair, smile, open mouth' },
    { stem: 'alice_04' },
  ]);
  session = await startCodeServer({ workspace: dataset, vsix: process.env.E2E_VSIX, name: 'caption-diagnostics' });
});

after(async () => {
  await session?.stop();
  rmSync(dataset, { recursive: true, force: true });
  console.log(`caption e2e: ${((performance.now() - started) / 1000).toFixed(1)} s in total`);
});

it('shows caption problems in the Problems panel, including the image without a caption', async () => {
  const { page } = session;
  // The first wait allows for the extension and its caption server to start (on a loaded
  // machine that alone took over the 30 s of a screen wait).
  await page.locator('.statusbar-item', { hasText: 'Captions' }).first().waitFor({ timeout: timeouts.workbench });
  await session.screenshot('workbench');
  const duplicate = await waitForProblem(page, /repeats tag/);
  assert.match(duplicate, /long hair/);
  await waitForProblem(page, /alice_04|caption/i);
  await session.screenshot('problems');
});

it('applies a quick fix from the editor: the text changes and the problem goes', async () => {
  const { page } = session;
  await openFile(page, 'alice_01.txt');
  await page.locator('.editor-group-container.active .view-lines', { hasText: 'long hair, long hair' }).waitFor({ timeout: timeouts.screen });
  // F8 moves the cursor onto the next problem of the file; Escape closes its peek widget.
  await page.keyboard.press('F8');
  await page.locator('.marker-widget').first().waitFor({ timeout: timeouts.screen });
  await session.screenshot('problem-in-editor');
  await page.keyboard.press('Escape');
  await applyQuickFix(page, /Remove the repeated/);
  await page.locator('.editor-group-container.active .view-lines', { hasText: '1girl, long hair, smile' }).waitFor({ timeout: timeouts.screen });
  assert.equal((await activeEditorText(page)).trim(), '1girl, long hair, smile');
  await waitForProblem(page, /repeats tag/, 'absent');
  await session.screenshot('fixed');
});

it('undoes the fix in one step, and "More information" opens the rule documentation', async () => {
  const { page } = session;
  await page.keyboard.press('Control+Z');
  await page.locator('.editor-group-container.active .view-lines', { hasText: 'long hair, long hair' }).waitFor({ timeout: timeouts.screen });
  await waitForProblem(page, /repeats tag/);
  await page.keyboard.press('F8');
  await page.locator('.marker-widget').first().waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Escape');
  await applyQuickFix(page, /More information about duplicate-tag/);
  const preview = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await preview.locator('h1', { hasText: 'duplicate-tag' }).waitFor({ timeout: timeouts.screen });
  await session.screenshot('rule-documentation');
});

it('runs a command from the palette: the dataset statistics page opens', async () => {
  const { page } = session;
  await runPaletteCommand(page, 'Embedding Studio: Show Dataset Statistics');
  const preview = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await preview.locator('h1', { hasText: 'Dataset statistics' }).waitFor({ timeout: timeouts.screen });
  // 4 images, 3 captions, 1 image without a caption (hand-counted from the dataset above).
  await preview.locator('tr', { hasText: /4\s*3\s*1/ }).first().waitFor({ timeout: timeouts.screen });
  await preview.locator('td', { hasText: 'long hair' }).first().waitFor({ timeout: timeouts.screen });
  await session.screenshot('statistics');
});
