// Preprocess Images from the palette, as a user does it: dataset, destination folder (code-server's
// own folder dialog), crop mode; the results are checked on disk with sharp (512×512, the centre
// square of a wide image, mirrored copies that are the flipped originals, captions copied), and
// mirroring is refused when a caption says heterochromia (with an offer to go on without it). Screenshots: .test-artifacts/e2e/preprocess.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { chooseFolderInDialog, quickInputRow, runPaletteCommand, startCodeServer, timeouts, waitForQuickInput, withFailureScreenshot, type CodeServerSession } from './codeServer';

let root: string;
let session: CodeServerSession;

const green = { r: 0, g: 200, b: 0 };
const blue = { r: 0, g: 0, b: 220 };
const red = { r: 220, g: 0, b: 0 };

/** A `width`×`height` PNG of `colour` with other-coloured blocks pasted at the given places. */
async function picture(path: string, width: number, height: number, colour: object, blocks: { left: number; top: number; width: number; height: number; colour: object }[] = []): Promise<void> {
  const composite = await Promise.all(
    blocks.map(async (b) => ({ input: await sharp({ create: { width: b.width, height: b.height, channels: 3, background: b.colour } }).png().toBuffer(), left: b.left, top: b.top })),
  );
  await sharp({ create: { width, height, channels: 3, background: colour } }).composite(composite).png().toFile(path);
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'es-preprocess-e2e-'));
  // wide: blue 50-pixel bands either side of a green 200×200 centre
  await picture(join(root, 'wide.png'), 300, 200, green, [
    { left: 0, top: 0, width: 50, height: 200, colour: blue },
    { left: 250, top: 0, width: 50, height: 200, colour: blue },
  ]);
  writeFileSync(join(root, 'wide.txt'), '1girl, red hair, green background\n');
  await picture(join(root, 'tall.png'), 120, 200, green);
  writeFileSync(join(root, 'tall.txt'), '1girl, heterochromia, red eyes, blue eyes\n');
  await picture(join(root, 'plain.png'), 64, 64, blue);
  // a second dataset: one square image, red on the left, blue on the right
  mkdirSync(join(root, 'clean'));
  await picture(join(root, 'clean', 'halves.png'), 256, 256, red, [{ left: 128, top: 0, width: 128, height: 256, colour: blue }]);
  writeFileSync(join(root, 'clean', 'halves.txt'), '1girl, red eyes\n');
  for (const dir of ['out', 'focal', 'mirrored']) mkdirSync(join(root, dir));
  session = await startCodeServer({ workspace: root, name: 'preprocess', settings: { 'embeddingStudio.executionProvider': 'cpu' } });
});

after(async () => {
  await session?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Runs Preprocess Images on the dataset whose label matches, into `destination`, with the crop mode `mode`. */
async function preprocess(page: Page, dataset: RegExp, destination: string, mode: string): Promise<void> {
  // the last run's summary may still be showing: clear it, so the next summary seen is this run's
  await runPaletteCommand(page, 'Notifications: Clear All Notifications');
  await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: timeouts.screen });
  await runPaletteCommand(page, 'Embedding Studio: Preprocess Images');
  await quickInputRow(page, 'Another folder').waitFor({ timeout: timeouts.screen });
  await quickInputRow(page, dataset).click();
  await chooseFolderInDialog(page, 'destination folder', destination);
  await waitForQuickInput(page, 'how to crop to 512×512');
  await quickInputRow(page, new RegExp(`^${mode.replace(/[+]/g, '\\+')}$`)).click();
}

const toast = (page: Page, text: RegExp) => page.locator('.notifications-toasts .notification-toast', { hasText: text });

async function rgb(path: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** The largest difference of any pixel from `colour`, over all channels. */
function maxDistance(image: { data: Buffer }, colour: { r: number; g: number; b: number }): number {
  let worst = 0;
  for (let i = 0; i < image.data.length; i += 3) {
    worst = Math.max(worst, Math.abs(image.data[i] - colour.r), Math.abs(image.data[i + 1] - colour.g), Math.abs(image.data[i + 2] - colour.b));
  }
  return worst;
}

it('preprocesses images to 512×512 with captions, mirrors on request, and refuses mirroring for heterochromia', { timeout: 3 * 60_000 }, () =>
  withFailureScreenshot(session, async () => {
    const { page } = session;
    const ws = session.workspace;
    await page.locator('.monaco-list-row', { hasText: 'wide.png' }).first().waitFor({ timeout: timeouts.workbench });
    await page.locator('.statusbar-item', { hasText: 'Captions' }).first().waitFor({ timeout: timeouts.workbench });

    // mirrored copies of a dataset whose caption says heterochromia: refused before anything is
    // written, with the way out offered: the same without mirroring
    await preprocess(page, /^workspace$/, join(ws, 'focal'), 'Focal crop + mirrored copies');
    const refused = page.locator('.monaco-dialog-box', { hasText: /Mirrored copies refused: tall\.txt says heterochromia/ });
    await refused.waitFor({ timeout: timeouts.screen });
    await session.screenshot('mirror-refused');
    assert.deepEqual(readdirSync(join(ws, 'focal')), []);
    await refused.locator('.monaco-button', { hasText: 'Preprocess Without Mirroring' }).click();
    await toast(page, /3 of 3 images written to .*focal\./).waitFor({ timeout: timeouts.screen });
    assert.deepEqual(readdirSync(join(ws, 'focal')).sort(), ['plain.png', 'tall.png', 'tall.txt', 'wide.png', 'wide.txt']);

    // centre crop: every image 512×512, the wide one cut to its green centre, captions beside them
    await preprocess(page, /^workspace$/, join(ws, 'out'), 'Centre crop');
    await toast(page, /3 of 3 images written to .*out\./).waitFor({ timeout: timeouts.screen });
    await session.screenshot('centre-crop');
    assert.deepEqual(readdirSync(join(ws, 'out')).sort(), ['plain.png', 'tall.png', 'tall.txt', 'wide.png', 'wide.txt']);
    for (const name of ['plain', 'tall', 'wide']) {
      const image = await rgb(join(ws, 'out', `${name}.png`));
      assert.deepEqual([image.width, image.height], [512, 512], name);
    }
    assert.ok(maxDistance(await rgb(join(ws, 'out', 'wide.png')), green) <= 2, 'the centre crop of wide.png holds none of its blue side bands');
    assert.ok(maxDistance(await rgb(join(ws, 'out', 'plain.png')), blue) <= 2);
    assert.equal(readFileSync(join(ws, 'out', 'wide.txt'), 'utf8'), '1girl, red hair, green background\n');
    assert.equal(readFileSync(join(ws, 'out', 'tall.txt'), 'utf8'), '1girl, heterochromia, red eyes, blue eyes\n');

    // the same again: a modal asks about the existing outputs; Keep leaves them as they are
    const written = statSync(join(ws, 'out', 'wide.png')).mtimeMs;
    await preprocess(page, /^workspace$/, join(ws, 'out'), 'Centre crop');
    const dialog = page.locator('.monaco-dialog-box', { hasText: /5 file\(s\) from an earlier preprocess already exist in .*out/ });
    await dialog.waitFor({ timeout: timeouts.screen });
    await session.screenshot('overwrite-asked');
    await dialog.locator('.monaco-button', { hasText: 'Keep' }).click();
    await toast(page, /0 of 3 images written to .*out, 3 kept \(outputs existed\)/).waitFor({ timeout: timeouts.screen });
    assert.equal(statSync(join(ws, 'out', 'wide.png')).mtimeMs, written);
    // ... and Overwrite replaces them (here with focal crops)
    await preprocess(page, /^workspace$/, join(ws, 'out'), 'Focal crop');
    await dialog.waitFor({ timeout: timeouts.screen });
    await dialog.locator('.monaco-button', { hasText: 'Overwrite' }).click();
    await toast(page, /3 of 3 images written to .*out\./).waitFor({ timeout: timeouts.screen });
    assert.notEqual(statSync(join(ws, 'out', 'wide.png')).mtimeMs, written);
    assert.deepEqual([(await rgb(join(ws, 'out', 'wide.png'))).width, (await rgb(join(ws, 'out', 'wide.png'))).height], [512, 512]);

    // mirrored copies of the other dataset: the copy is the image flipped left to right
    await preprocess(page, /^clean$/, join(ws, 'mirrored'), 'Focal crop + mirrored copies');
    await toast(page, /1 of 1 images written to .*mirrored\./).waitFor({ timeout: timeouts.screen });
    await session.screenshot('mirrored');
    assert.deepEqual(readdirSync(join(ws, 'mirrored')).sort(), ['halves-mirrored.png', 'halves-mirrored.txt', 'halves.png', 'halves.txt']);
    const plainCopy = await rgb(join(ws, 'mirrored', 'halves.png'));
    const mirrored = await rgb(join(ws, 'mirrored', 'halves-mirrored.png'));
    assert.deepEqual([mirrored.width, mirrored.height], [512, 512]);
    const pixel = (image: { data: Buffer; width: number }, x: number, y: number) => [...image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3)];
    assert.deepEqual(pixel(plainCopy, 10, 100), [red.r, red.g, red.b], 'the square image is kept whole: red on the left');
    assert.deepEqual(pixel(mirrored, 10, 100), [blue.r, blue.g, blue.b], 'mirrored: blue on the left');
    const flipped = await sharp(join(ws, 'mirrored', 'halves.png')).removeAlpha().flop().raw().toBuffer();
    assert.ok(flipped.equals(mirrored.data), 'the mirrored copy is the crop flipped left to right');
    assert.equal(readFileSync(join(ws, 'mirrored', 'halves-mirrored.txt'), 'utf8'), '1girl, red eyes\n');
  }));
