// caption-length in the language server over its real protocol: exact CLIP counts by default
// (the vocabulary shipped in resources/clip, with no setting and no Hugging Face cache), and with
// the tokenizer setting (from initialize, and after a settings change); estimates that say so
// when the setting points nowhere. Counts by hand: `long`, `hair`, `smile` are single CLIP
// tokens, so 24 × "long hair" joined by ", " is 71 tokens.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DidChangeConfigurationNotification, type Diagnostic } from 'vscode-languageserver-protocol/node';
import { LanguageServerClient, fileUri, repoRoot } from './languageServerClient';
import { writeDataset } from './generatedDataset';
import { readServerSettings } from '../../src/server/serverSettings';

// The server inherits this environment: no Hugging Face cache and no home folder to find a tokenizer in.
const emptyHome = mkdtempSync(join(tmpdir(), 'es-no-cache-'));
for (const key of ['HOME', 'HF_HOME', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'XDG_CACHE_HOME']) process.env[key] = emptyHome;

const vocabulary = join(repoRoot, 'resources', 'clip');
const longHair = (k: number) => Array.from({ length: k }, () => 'long hair');
// 71 + ", smile, smile" = 75 exactly; emphasis weights are not tokens: 75 as well.
const exactly75 = [...longHair(24), 'smile', 'smile'].join(', ');
const weighted75 = [...longHair(24).map((t) => `(${t}:1.3)`), 'smile', 'smile'].join(', ');
// 71 + ", smile" + ", long hair" = 76: over from the last tag.
const over76 = [...longHair(24), 'smile', 'long hair'].join(', ');

const lengthOf = (list: Diagnostic[]) => list.filter((d) => d.code === 'caption-length');
const text = (d: Diagnostic) => (typeof d.message === 'string' ? d.message : '');

describe('caption-length over JSON-RPC', () => {
  let folder: string;
  const clients: LanguageServerClient[] = [];

  before(async () => {
    folder = await writeDataset([
      { stem: 'a', caption: exactly75 },
      { stem: 'b', caption: weighted75 },
      { stem: 'c', caption: over76 },
    ]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    rmSync(folder, { recursive: true, force: true });
    rmSync(emptyHome, { recursive: true, force: true });
  });

  it('with the tokenizer setting: the exact count, not an estimate, and 75 tokens pass', async () => {
    const client = LanguageServerClient.start();
    clients.push(client);
    const status = await client.initialize(folder, { settings: { lint: { rules: {}, extraVagueTags: {} }, tokenizerPath: vocabulary } });
    assert.equal(status.state, 'ready', status.message);
    const c = lengthOf(await client.diagnostics(fileUri(join(folder, 'c.txt'))));
    assert.equal(c.length, 1, JSON.stringify(c));
    assert.match(text(c[0]), /^This caption is 76 CLIP tokens, over the 75 of one CLIP chunk: from `long hair` on/);
    assert.deepEqual(c[0].range, { start: { line: 0, character: over76.lastIndexOf('long hair') }, end: { line: 0, character: over76.length } });
    assert.deepEqual(lengthOf(client.latest.get(fileUri(join(folder, 'a.txt')))?.diagnostics ?? []), []);
    assert.deepEqual(lengthOf(client.latest.get(fileUri(join(folder, 'b.txt')))?.diagnostics ?? []), []);
  });

  it('with no setting and no cache: exact counts from the shipped vocabulary, and the log says so', async () => {
    const client = LanguageServerClient.start();
    clients.push(client);
    await client.initialize(folder);
    const [c] = lengthOf(await client.diagnostics(fileUri(join(folder, 'c.txt'))));
    assert.match(text(c), /^This caption is 76 CLIP tokens, over the 75 of one CLIP chunk/);
    assert.deepEqual(lengthOf(client.latest.get(fileUri(join(folder, 'a.txt')))?.diagnostics ?? []), []);
    assert.ok(client.log.includes(`caption-length: CLIP token counts from ${join(vocabulary, 'bpe_simple_vocab_16e6.txt.gz')} (shipped with Embedding Studio)`), client.log);
  });

  it('a tokenizer setting that points nowhere is reported, counts are estimates; a good one re-lints them exactly', async () => {
    const client = LanguageServerClient.start();
    clients.push(client);
    const missing = join(folder, 'no-such-tokenizer');
    const status = await client.initialize(folder, { settings: { lint: { rules: {}, extraVagueTags: {} }, tokenizerPath: missing } });
    assert.equal(status.state, 'ready');
    assert.ok(status.message.includes(`caption-length counts are estimated: CLIP tokenizer setting: ${missing} does not exist`), status.message);
    const uriC = fileUri(join(folder, 'c.txt'));
    const [estimated] = lengthOf(await client.diagnostics(uriC));
    assert.match(text(estimated), /^This caption is about \d+ CLIP tokens \(estimated\)/);

    await client.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { embeddingStudio: { tokenizerPath: vocabulary } } });
    const [c] = lengthOf(await client.diagnostics(uriC, (list) => lengthOf(list).some((d) => !text(d).includes('estimated'))));
    assert.match(text(c), /^This caption is 76 CLIP tokens/);
  });
});

it('reads the tokenizer and model paths from the settings, trimmed; empty or not a string means unset', () => {
  const lint = { rules: {}, extraVagueTags: {} };
  assert.deepEqual(readServerSettings({ tokenizerPath: ' /models/clip ', modelPath: '/models/sd15' }), { lint, tokenizerPath: '/models/clip', modelPath: '/models/sd15' });
  assert.deepEqual(readServerSettings({ tokenizerPath: '', modelPath: 3 }), { lint });
});
