// Create Embedding from the palette, as a user does it: dataset, name, vectors per token and
// initialisation text; the file on disk holds the checkpoint's token vectors of that text (read
// from the fixture and the CLIP merges list here, not through our tokenizer). "Train It" opens
// the Start Training form prefilled; creating the same name again asks before replacing.
// Screenshots: .test-artifacts/e2e/create-embedding.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { writeDataset } from '../server/generatedDataset';
import { quickInputRow, repoRoot, runPaletteCommand, startCodeServer, timeouts, waitForFile, waitForQuickInput, withFailureScreenshot, type CodeServerSession } from './codeServer';

const modelPath = join(repoRoot, 'test/fixtures/sd1-tiny/model.safetensors');
// No tokenizer setting: the extension uses the CLIP vocabulary it ships, read here on its own.
const mergesPath = join(repoRoot, 'resources/clip/bpe_simple_vocab_16e6.txt.gz');
let dataset: string;
let session: CodeServerSession;

before(async () => {
  dataset = await writeDataset([{ stem: 'a', caption: '1girl, red hair', width: 64, height: 64 }, { stem: 'b', caption: '1girl, red hair', width: 64, height: 64 }], 'es-create-e2e-');
  session = await startCodeServer({
    workspace: dataset,
    name: 'create-embedding',
    settings: { 'embeddingStudio.modelPath': modelPath, 'embeddingStudio.executionProvider': 'cpu' },
  });
});

after(async () => {
  await session?.stop();
  rmSync(dataset, { recursive: true, force: true });
});

/** CLIP's id of a whole-word token, from the merges list: 256 bytes, 256 bytes+</w>, then one id per merge. */
function clipWordId(word: string): number {
  // a printable ASCII character is one of the first byte tokens, counted from '!'
  if (word.length === 1 && word >= '!' && word <= '~') return 256 + word.charCodeAt(0) - '!'.charCodeAt(0);
  const merges = gunzipSync(readFileSync(mergesPath)).toString('utf8').split('\n').slice(1, 49152 - 256 - 2 + 1);
  const index = merges.findIndex((line) => line.split(' ').join('') === `${word}</w>`);
  assert.ok(index >= 0, `"${word}</w>" is a CLIP token`);
  return 512 + index;
}

/** Row `id` of the fixture's token embedding table, read straight from the safetensors bytes. */
function tokenRow(id: number): Float32Array {
  const bytes = readFileSync(modelPath);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const entry = header['cond_stage_model.transformer.text_model.embeddings.token_embedding.weight'];
  assert.equal(entry.dtype, 'F32');
  const width = entry.shape[1] as number;
  const start = 8 + headerLength + entry.data_offsets[0] + id * width * 4;
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + width * 4));
}

async function createEmbedding(page: Page, name: string, vectors: string, initText: string): Promise<void> {
  await runPaletteCommand(page, 'Embedding Studio: Create Embedding');
  // the dataset: the workspace folder is the only one with images, listed first
  await quickInputRow(page, 'Another folder').waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Enter');
  await waitForQuickInput(page, 'Create Embedding: name');
  await page.locator('.quick-input-widget input').fill(name);
  await page.keyboard.press('Enter');
  await waitForQuickInput(page, 'Create Embedding: vectors per token');
  await quickInputRow(page, new RegExp(`^${vectors}$`)).click();
  await waitForQuickInput(page, 'Create Embedding: initialization text');
  await page.locator('.quick-input-widget input').fill(initText);
  await page.keyboard.press('Enter');
}

// a name in another script: A1111 and the trainer take any file-name-safe name
const name = 'miku_初音';

it('creates an embedding from the palette, opens the training form from it, and asks before replacing it', { timeout: 3 * 60_000 }, () =>
  withFailureScreenshot(session, async () => {
    const { page } = session;
    await page.locator('.activitybar .action-item a[aria-label^="Embedding Studio"]').waitFor({ timeout: timeouts.workbench });
    // the caption server is up: the workbench has settled (the palette closes if the focus moves)
    await page.locator('.statusbar-item', { hasText: 'Captions' }).first().waitFor({ timeout: timeouts.workbench });
    await createEmbedding(page, name, '8', 'red hair');
    const created = page.locator('.notifications-toasts .notification-toast', { hasText: new RegExp(`created .*${name}\\.safetensors \\(8 vectors from "red hair"\\)`) });
    await created.waitFor({ timeout: timeouts.screen });
    await session.screenshot('created');

    const file = join(session.workspace, '.embedding-studio', 'embeddings', `${name}.safetensors`);
    const embedding = readEmbeddingFile(file);
    assert.equal(embedding.count, 8);
    assert.equal(embedding.width, 64);
    assert.equal(embedding.step, 0);
    // A1111's rule: row i comes from token floor(i·T/vectors) of the text, here "red" ×4 then "hair" ×4
    const red = tokenRow(clipWordId('red'));
    const hair = tokenRow(clipWordId('hair'));
    assert.notDeepEqual(red, hair);
    for (let row = 0; row < 8; row++) {
      assert.deepEqual(embedding.vectors.subarray(row * 64, (row + 1) * 64), row < 4 ? red : hair, `row ${row}`);
    }

    // "Train It" opens the Start Training form with the new embedding's settings
    await created.locator('.monaco-button', { hasText: 'Train It' }).click();
    await waitForQuickInput(page, 'Start Training: model');
    await page.keyboard.press('Enter');
    await waitForQuickInput(page, 'Start Training: embedding name');
    assert.equal(await page.locator('.quick-input-widget input').inputValue(), name);
    await page.keyboard.press('Enter');
    await waitForQuickInput(page, 'Start Training: vectors per token');
    assert.equal((await page.locator('.quick-input-list .monaco-list-row.focused .label-name').first().innerText()).trim(), '8');
    await page.keyboard.press('Enter');
    await waitForQuickInput(page, 'Start Training: initialization text');
    assert.equal(await page.locator('.quick-input-widget input').inputValue(), 'red hair');
    await session.screenshot('train-it-form');
    await page.keyboard.press('Escape');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeouts.screen });

    // the same name again: a modal asks; Cancel leaves the file as it was
    const before = readFileSync(file);
    await createEmbedding(page, name, '4', '*');
    const dialog = page.locator('.monaco-dialog-box', { hasText: `${name}.safetensors already exists` });
    await dialog.waitFor({ timeout: timeouts.screen });
    await session.screenshot('replace-asked');
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden', timeout: timeouts.screen });
    assert.deepEqual(readFileSync(file), before, 'cancelled: the embedding is untouched');

    // ... and Replace writes the new one (4 vectors of "*")
    await createEmbedding(page, name, '4', '*');
    await dialog.waitFor({ timeout: timeouts.screen });
    await dialog.locator('.monaco-button', { hasText: 'Replace' }).click();
    await page.locator('.notifications-toasts .notification-toast', { hasText: new RegExp(`created .*${name}\\.safetensors \\(4 vectors from "\\*"\\)`) }).waitFor({ timeout: timeouts.screen });
    await waitForFile(file, (bytes) => !bytes.equals(before));
    const replaced = readEmbeddingFile(file);
    assert.equal(replaced.count, 4);
    const star = tokenRow(clipWordId('*'));
    for (let row = 0; row < 4; row++) assert.deepEqual(replaced.vectors.subarray(row * 64, (row + 1) * 64), star, `row ${row}`);
  }));
