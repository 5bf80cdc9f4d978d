// The crop-review page in real headless Chromium: the same HTML and bundled script the panel
// loads, a stand-in for VS Code's webview API that records what the page posts, and real mouse
// and keyboard input. The region the page sends is then saved with the real manual-crop code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { reviewHtml } from '../../webview/review/reviewHtml';
import { parseReviewToHost, type HostToReviewMessage, type ReviewItem } from '../../src/protocol/reviewMessages';
import { saveManualCrop } from '../../src/dataset/manualCrop';
import { fromRaw, pixelAt, pixelsOf } from '../dataset/generatedImages';
import { browserEnv } from './monitorPageHarness';

const chromiumPath = '/usr/bin/chromium';
const repoRoot = resolve(__dirname, '../..');
let dir: string;
let context: BrowserContext;
let userDataDir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'es-review-page-'));
  // Built here from the sources, so the test never runs a stale dist/ bundle.
  await build({ entryPoints: [join(repoRoot, 'webview/review/main.ts')], bundle: true, outfile: join(dir, 'review.js'), platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'warning' });
  userDataDir = mkdtempSync(join(tmpdir(), 'es-review-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
    env: browserEnv(userDataDir),
  });
});

after(async () => {
  await context?.close();
  rmSync(userDataDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

function vscodeStandIn(initialState: unknown): void {
  const host = { posted: [] as unknown[], state: initialState };
  (window as unknown as { __host: typeof host }).__host = host;
  (window as unknown as { acquireVsCodeApi: unknown }).acquireVsCodeApi = () => ({
    postMessage: (message: unknown) => host.posted.push(JSON.parse(JSON.stringify(message))),
    getState: () => host.state,
    setState: (state: unknown) => (host.state = JSON.parse(JSON.stringify(state))),
  });
}

async function openPage(state?: unknown): Promise<{ page: Page; problems: string[]; posted: () => Promise<unknown[]>; post: (m: HostToReviewMessage) => Promise<void> }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.addInitScript('window.__name = (target) => target;');
  await page.addInitScript(vscodeStandIn, state);
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`)));
  const html = join(dir, 'review.html');
  writeFileSync(html, reviewHtml({ scriptUri: pathToFileURL(join(dir, 'review.js')).href, cspSource: 'file:', nonce: 'TestNonce0123456789abcdef' }));
  await page.goto(pathToFileURL(html).href);
  await page.waitForFunction(() => (window as unknown as { __review?: boolean }).__review === true);
  return {
    page,
    problems,
    posted: () => page.evaluate(() => (window as unknown as { __host: { posted: unknown[] } }).__host.posted),
    post: async (m) => page.evaluate((message) => window.postMessage(message, '*'), m),
  };
}

test('cards show captions and problems; buttons post typed requests; a hand crop is saved as drawn', { skip: !existsSync(chromiumPath) && 'chromium missing (apt-get install -y chromium)' }, async () => {
  // 800×400: columns 0..399 red, 400..799 blue, so a saved crop's colours say where it was taken.
  const wide = join(dir, 'wide.png');
  await fromRaw(800, 400, (x) => (x < 400 ? [255, 0, 0] : [0, 0, 255])).png().toFile(wide);
  const square = join(dir, 'square.png');
  await fromRaw(300, 300, () => [0, 160, 0]).png().toFile(square);
  const items: ReviewItem[] = [
    { id: wide, name: 'wide.png', imageUri: pathToFileURL(wide).href, width: 800, height: 400, caption: '1girl, red theme', problems: [{ severity: 'warning', message: 'vague tag', code: 'vague-tag' }] },
    { id: square, name: 'square.png', imageUri: pathToFileURL(square).href, width: 300, height: 300, caption: null, problems: [] },
  ];
  const { page, problems, posted, post } = await openPage();
  assert.deepEqual(await posted(), [{ type: 'ready' }]);
  await post({ type: 'items', folder: dir, items });
  await page.waitForSelector('article.card');
  assert.equal(await page.locator('article.card').count(), 2);
  assert.equal(await page.textContent('#summary'), '2 images · 1 with problems · 1 without caption');
  assert.equal(await page.locator('article.card').nth(0).locator('.problems li.warning').textContent(), 'vague tag (vague-tag)');
  assert.equal(await page.locator('article.card').nth(1).locator('.caption.missing').textContent(), 'No caption');
  await page.getByRole('button', { name: 'Open the caption of wide.png' }).click();
  await page.getByRole('button', { name: 'Delete square.png' }).click();
  await page.check('#only-problems');
  assert.equal(await page.locator('article.card').count(), 2, 'the uncaptioned image counts as needing attention');

  // Re-crop: 800×400 shown at scale min(640/800, 480/400) = 0.8 → 640×320; initial square side 400 at left 200.
  await page.getByRole('button', { name: 'Re-crop wide.png by hand' }).click();
  const box = (await page.locator('#selection').boundingBox())!;
  assert.ok(Math.abs(box.width - 320) < 1.5 && Math.abs(box.height - 320) < 1.5, `square drawn ${box.width}×${box.height}`);
  // Drag the square 80 screen px right (100 image px) and its corner 40 px in (−50 image px).
  await page.mouse.move(box.x + 100, box.y + 100);
  await page.mouse.down();
  await page.mouse.move(box.x + 140, box.y + 100, { steps: 4 });
  await page.mouse.move(box.x + 180, box.y + 100, { steps: 4 });
  await page.mouse.up();
  const moved = (await page.locator('#handle').boundingBox())!;
  await page.mouse.move(moved.x + moved.width / 2, moved.y + moved.height / 2);
  await page.mouse.down();
  await page.mouse.move(moved.x + moved.width / 2 - 40, moved.y + moved.height / 2 - 40, { steps: 5 });
  await page.mouse.up();
  assert.equal(await page.textContent('#editor-figures'), '350×350 px at (300, 0)');
  // Keyboard: Shift+ArrowLeft moves 10 % of the short side (40 px).
  await page.focus('#selection');
  await page.keyboard.press('Shift+ArrowLeft');
  assert.equal(await page.textContent('#editor-figures'), '350×350 px at (260, 0)');
  await page.click('#editor-save');
  assert.equal(await page.isHidden('#editor'), true);

  const messages = (await posted()).map(parseReviewToHost);
  assert.deepEqual(messages, [
    { type: 'ready' },
    { type: 'openCaption', id: wide },
    { type: 'deleteImage', id: square },
    { type: 'saveCrop', id: wide, region: { left: 260, top: 0, width: 350, height: 350 } },
  ]);
  assert.deepEqual(problems, [], 'no console errors or CSP violations');

  // The host's side: save the region; x 260..610 is 140 px red then 210 px blue.
  const saved = await saveManualCrop({ source: wide, region: (messages[3] as { region: { left: number; top: number; width: number; height: number } }).region, target: join(dir, 'wide-crop.png'), size: 350 });
  assert.deepEqual(saved, { left: 260, top: 0, width: 350, height: 350 });
  const crop = await pixelsOf(join(dir, 'wide-crop.png'));
  assert.deepEqual([crop.width, crop.height], [350, 350]);
  assert.deepEqual(pixelAt(crop, 135, 100), [255, 0, 0]);
  assert.deepEqual(pixelAt(crop, 145, 100), [0, 0, 255]);
  await page.close();
});

test('the page restores its items from saved state and applies changes and removals', { skip: !existsSync(chromiumPath) && 'chromium missing' }, async () => {
  const item: ReviewItem = { id: 'a', name: 'a.png', imageUri: 'data:image/png;base64,', width: 10, height: 10, caption: 'x', problems: [] };
  const { page, post, problems } = await openPage({ folder: '/data', items: [item, { ...item, id: 'b', name: 'b.png' }], onlyProblems: false });
  assert.equal(await page.locator('article.card').count(), 2);
  await post({ type: 'itemChanged', item: { ...item, caption: 'y, z', problems: [{ severity: 'error', message: 'too long' }] } });
  await page.waitForSelector('li.error');
  assert.equal(await page.locator('article.card').nth(0).locator('.caption').textContent(), 'y, z');
  await post({ type: 'itemRemoved', id: 'b' });
  await page.waitForFunction(() => document.querySelectorAll('article.card').length === 1);
  await page.evaluate(() => window.postMessage({ type: 'items', items: 'nope' }, '*'));
  await page.waitForFunction(() => (window as unknown as { __host: { state: { items: unknown[] } } }).__host.state.items.length === 1);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /review page: ignored a message/);
  await page.close();
});
