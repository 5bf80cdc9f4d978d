import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describeTokenizerFiles, findTokenizerFiles, findClipTokenizer } from '../../src/sd/tokenizerFiles';
import { ClipTokenizer } from '../../src/sd/clipTokenizer';

const shipped = join(__dirname, '../../resources/clip/bpe_simple_vocab_16e6.txt.gz');
const bpeGz = shipped;
const root = mkdtempSync(join(tmpdir(), 'tokenizer-files-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** merges.txt + vocab.json in Hugging Face's format, made from the openai/CLIP merges file. */
let huggingFaceSource: string | undefined;
function writeHuggingFaceFiles(folder: string): void {
  mkdirSync(folder, { recursive: true });
  if (huggingFaceSource) {
    for (const name of ['merges.txt', 'vocab.json']) copyFileSync(join(huggingFaceSource, name), join(folder, name));
    return;
  }
  huggingFaceSource = folder;
  const lines = gunzipSync(readFileSync(bpeGz)).toString('utf8').split('\n').slice(1, 1 + 48894);
  writeFileSync(join(folder, 'merges.txt'), '#version: 0.2\n' + lines.join('\n') + '\n');
  const reference = ClipTokenizer.fromBpeFile(bpeGz);
  const vocab: Record<string, number> = {};
  for (let id = 0; id < reference.vocabSize; id++) vocab[reference.tokenText(id)!] = id;
  writeFileSync(join(folder, 'vocab.json'), JSON.stringify(vocab));
}

const emptyHome = join(root, 'empty-home');
mkdirSync(emptyHome);
const noEnv = {};

test('the setting wins, as a file or as a folder; a wrong setting is an error, not a fallback', () => {
  const found = findTokenizerFiles({ settingPath: bpeGz, env: noEnv, homeDir: emptyHome });
  assert.equal(found.format, 'bpe');
  assert.equal(found.source, 'setting');
  const folder = join(root, 'setting-folder');
  mkdirSync(folder);
  copyFileSync(bpeGz, join(folder, 'bpe_simple_vocab_16e6.txt.gz'));
  assert.equal(findTokenizerFiles({ settingPath: folder, env: noEnv, homeDir: emptyHome }).format, 'bpe');
  assert.throws(() => findTokenizerFiles({ settingPath: join(root, 'missing.gz') }), /setting: .*missing\.gz does not exist — point it at bpe_simple_vocab_16e6\.txt\.gz/);
  assert.throws(() => findTokenizerFiles({ settingPath: emptyHome }), /holds neither merges\.txt \+ vocab\.json nor/);
});

test('a diffusers model folder\'s tokenizer/ comes next, and tokenizes like the openai/CLIP file', () => {
  const model = join(root, 'my-diffusers-model');
  writeHuggingFaceFiles(join(model, 'tokenizer'));
  const found = findTokenizerFiles({ modelPath: model, env: noEnv, homeDir: emptyHome });
  assert.equal(found.source, 'model');
  assert.equal(found.format, 'merges-vocab');
  const fromFolder = findClipTokenizer({ modelPath: model, env: noEnv, homeDir: emptyHome });
  const fromGz = ClipTokenizer.fromBpeFile(bpeGz);
  for (const text of ['a photo of a cat', '(masterpiece:1.2), 1girl, café, 初音ミク', "don't \\(stop\\)"]) {
    assert.deepEqual(fromFolder.tokenize(text), fromGz.tokenize(text), text);
  }
});

test('the Hugging Face cache: snapshot symlinks resolved, HF_HOME honoured', () => {
  const hfHome = join(root, 'hf-home');
  const repo = join(hfHome, 'hub', 'models--openai--clip-vit-large-patch14');
  const blobs = join(repo, 'blobs');
  writeHuggingFaceFiles(blobs);
  const snapshot = join(repo, 'snapshots', '32bd64288804d66eefd0ccbe215aa642df71cc41');
  mkdirSync(snapshot, { recursive: true });
  symlinkSync(join('..', '..', 'blobs', 'merges.txt'), join(snapshot, 'merges.txt'));
  symlinkSync(join('..', '..', 'blobs', 'vocab.json'), join(snapshot, 'vocab.json'));
  const found = findTokenizerFiles({ env: { HF_HOME: hfHome }, homeDir: emptyHome });
  assert.equal(found.source, 'huggingface-cache');
  assert.equal(found.format === 'merges-vocab' && found.mergesPath, join(blobs, 'merges.txt'));
  // the default location under the home folder
  const home = join(root, 'home');
  mkdirSync(join(home, '.cache', 'huggingface', 'hub', 'models--openai--clip-vit-large-patch14', 'snapshots', 'abc'), { recursive: true });
  writeHuggingFaceFiles(join(home, '.cache', 'huggingface', 'hub', 'models--openai--clip-vit-large-patch14', 'snapshots', 'abc'));
  assert.equal(findTokenizerFiles({ env: noEnv, homeDir: home }).source, 'huggingface-cache');
});

test('ComfyUI and AUTOMATIC1111 installs the user names', () => {
  const comfy = join(root, 'ComfyUI');
  writeHuggingFaceFiles(join(comfy, 'comfy', 'sd1_tokenizer'));
  const found = findTokenizerFiles({ installPaths: [join(root, 'nothing-here'), comfy], env: noEnv, homeDir: emptyHome });
  assert.equal(found.source, 'install');
  assert.equal(found.format === 'merges-vocab' && found.vocabPath, join(comfy, 'comfy', 'sd1_tokenizer', 'vocab.json'));
  const a1111 = join(root, 'stable-diffusion-webui');
  const clipPackage = join(a1111, 'venv', 'lib', 'python3.10', 'site-packages', 'clip');
  mkdirSync(clipPackage, { recursive: true });
  copyFileSync(bpeGz, join(clipPackage, 'bpe_simple_vocab_16e6.txt.gz'));
  const fromA1111 = findTokenizerFiles({ installPaths: [a1111], env: noEnv, homeDir: emptyHome });
  assert.equal(fromA1111.format === 'bpe' && fromA1111.bpePath, join(clipPackage, 'bpe_simple_vocab_16e6.txt.gz'));
});

test('last, the vocabulary shipped with Embedding Studio: a single-file checkpoint needs no other file', () => {
  const found = findTokenizerFiles({ modelPath: join(root, 'model.safetensors'), env: noEnv, homeDir: emptyHome });
  assert.deepEqual(found, { format: 'bpe', bpePath: shipped, source: 'bundled' });
  assert.equal(describeTokenizerFiles(found), `${shipped} (shipped with Embedding Studio)`);
  // the openai/CLIP file itself (what tokenizes the same as the Hugging Face files above)
  assert.equal(createHash('sha256').update(readFileSync(shipped)).digest('hex'), '924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a');
  assert.ok(readFileSync(join(dirname(shipped), 'LICENSE-CLIP.txt'), 'utf8').startsWith('MIT License'), 'its licence ships beside it');
  // anything the user has comes first
  const hfHome = join(root, 'hf-home');
  assert.equal(findTokenizerFiles({ env: { HF_HOME: hfHome }, homeDir: emptyHome }).source, 'huggingface-cache');
});

test('nothing found (the shipped copy missing too): the error lists where we looked and how to get the files', () => {
  const missing = join(root, 'no-shipped-copy', 'bpe_simple_vocab_16e6.txt.gz');
  assert.throws(
    () => findTokenizerFiles({ modelPath: emptyHome, installPaths: [join(root, 'nope')], env: noEnv, homeDir: emptyHome, bundled: missing }),
    (e: Error) =>
      e.message.includes(join(emptyHome, 'tokenizer')) &&
      e.message.includes('models--openai--clip-vit-large-patch14') &&
      e.message.includes(`${missing} (the copy shipped with Embedding Studio is missing: reinstall it)`) &&
      e.message.includes('huggingface-cli download openai/clip-vit-large-patch14 merges.txt vocab.json') &&
      e.message.includes('embeddingStudio.tokenizerPath'),
  );
  assert.throws(() => findTokenizerFiles({ env: noEnv, homeDir: emptyHome, bundled: false }), /CLIP tokenizer files not found/);
});
