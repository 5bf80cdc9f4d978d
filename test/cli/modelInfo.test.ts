import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBounded } from '../support/timeLimits';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturedRun } from './capturedRun';
import { modelInfoCommand } from '../../src/cli/commands/modelInfo';
import { randomModelCommand } from '../../src/cli/commands/randomModel';
import { writeSafetensors, openSafetensors } from '../../src/sd/safetensors';

const fixture = join(__dirname, '../fixtures/sd1-tiny/model.safetensors');
const cliEntry = join(__dirname, '../../src/cli/main.ts');
const scratch = mkdtempSync(join(tmpdir(), 'model-info-cli-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

test('model-info on the fixture (real CLI process): SD1 with the config.json sizes', () => {
  const run = runBounded(process.execPath, ['--import', 'tsx', cliEntry, 'model-info', fixture, '--text-heads', '4', '--unet-heads', '2'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /kind +Stable Diffusion 1\.x \(single-file\)/);
  assert.match(run.stdout, /text encoder +width 64, 3 layers, MLP 256, 4 heads, 77 positions/);
  assert.match(run.stdout, /UNet +32 channels × \[1, 2\], 1 res blocks per level, attention \[yes, yes\], context 64, 2 heads/);
  assert.match(run.stdout, /VAE +32 channels × \[1, 1, 2, 2\], 1 res blocks, latent 4 channels at 1\/8 size/);
  assert.match(run.stdout, /schedule +checkpoint alphas_cumprod/);
});

test('model-info --json --hash gives the hashes and counts', async () => {
  const { status, stdout } = await capturedRun(modelInfoCommand, [fixture, '--json', '--hash']);
  assert.equal(status, 0);
  const info = JSON.parse(stdout);
  assert.equal(info.hashes.shortHash, info.hashes.sha256.slice(0, 10));
  assert.equal(info.dtypes.I64, 1);
  assert.equal(info.architecture.unet.modelChannels, 32);
  // SD1's default 12 text heads do not divide the fixture's width 64: said, not failed
  assert.match(info.headsNote, /not divisible by 12 attention heads/);
});

test('model-info names what is not an SD1 model (exit 1) and unreadable input (exit 2)', async () => {
  const lora = join(scratch, 'lora.safetensors');
  writeSafetensors(lora, [{ name: 'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight', dtype: 'F32', shape: [4, 8], data: new Float32Array(32) }]);
  const notModel = await capturedRun(modelInfoCommand, [lora]);
  assert.equal(notModel.status, 1);
  assert.match(notModel.stderr, /lora\.safetensors: this is a LoRA/);
  const damaged = join(scratch, 'damaged.safetensors');
  writeFileSync(damaged, Buffer.from([1, 0, 0]));
  const bad = await capturedRun(modelInfoCommand, [damaged]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /damaged\.safetensors: the file is 3 bytes long/);
  assert.equal((await capturedRun(modelInfoCommand, [])).status, 2);
  assert.equal((await capturedRun(modelInfoCommand, [join(scratch, 'none.safetensors')])).status, 2);
  assert.equal((await capturedRun(modelInfoCommand, [fixture, '--text-heads', 'x'])).status, 2);
});

test('random-model writes a tiny SD1 checkpoint, refuses to overwrite without --force', async () => {
  const out = join(scratch, 'random-tiny.safetensors');
  const first = await capturedRun(randomModelCommand, [out, '--size', 'tiny', '--fp16', '--seed', '7']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /random SD1\.x weights \(tiny, F16/);
  const file = openSafetensors(out);
  assert.equal(file.tensors.get('model.diffusion_model.out.2.weight')!.dtype, 'F16');
  assert.equal(file.metadata.seed, '7');
  file.close();
  const again = await capturedRun(randomModelCommand, [out]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists — choose another name or add --force/);
  assert.equal((await capturedRun(randomModelCommand, [out, '--force'])).status, 0);
  assert.equal((await capturedRun(randomModelCommand, [join(scratch, 'x.safetensors'), '--size', 'xl'])).status, 2);
  const info = await capturedRun(modelInfoCommand, [out, '--json']);
  assert.equal(info.status, 0);
  // rewritten with the tiny default dtype: float32 weights and buffers, int64 position_ids
  assert.deepEqual(JSON.parse(info.stdout).dtypes, { F32: 530, I64: 1 });
});

test("model-info on an embedding: name, vectors, step and A1111's hash (sha256 of the file, 12 digits)", async () => {
  // `sha256sum test/train/data/a1111-embedding.png`, run once by hand
  const png = join(__dirname, '../train/data/a1111-embedding.png');
  const sha = 'cae52e7d0cad4ed726fc259347cf2bf2b052e550e727595fbb5cda87db219960';
  const text = await capturedRun(modelInfoCommand, [png]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /a textual-inversion embedding/);
  assert.match(text.stdout, /vectors: +2 × 768 \(SD1\.x\)/);
  assert.match(text.stdout, /step: +39/);
  assert.match(text.stdout, new RegExp(`A1111 hash: +${sha.slice(0, 12)} \\(sha256 ${sha}\\)`));
  const emb = join(scratch, 'emb.safetensors');
  writeSafetensors(emb, [{ name: 'emb_params', dtype: 'F32', shape: [1, 768], data: new Float32Array(768) }], { name: 'emb', step: '5' });
  const json = await capturedRun(modelInfoCommand, [emb, '--json']);
  assert.equal(json.status, 0, json.stderr);
  const info = JSON.parse(json.stdout);
  assert.deepEqual([info.kind, info.name, info.vectors, info.width, info.step], ['embedding', 'emb', 1, 768, 5]);
  assert.equal(info.hash, info.sha256.slice(0, 12));
});
