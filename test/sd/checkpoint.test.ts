import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/sd/checkpoint';
import { openSafetensors, writeSafetensors, type SafetensorsTensorData } from '../../src/sd/safetensors';
import { timeLimits } from '../support/timeLimits';

const fixtureDir = join(__dirname, '../fixtures/sd1-tiny');
const fixture = join(fixtureDir, 'model.safetensors');
const scratch = mkdtempSync(join(tmpdir(), 'checkpoint-test-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

test('single-file fixture: SD1, every tensor resolvable, alphas_cumprod, name', () => {
  const ckpt = loadCheckpoint(fixture);
  try {
    assert.equal(ckpt.layout, 'single-file');
    assert.equal(ckpt.name, 'model');
    assert.deepEqual(ckpt.files, [fixture]);
    const raw = openSafetensors(fixture);
    for (const info of raw.tensors.values()) {
      const t = ckpt.tensors.get(info.name)!;
      assert.equal(t.file, fixture);
      assert.equal(t.fileOffset, info.fileOffset);
    }
    raw.close();
    assert.equal(ckpt.alphasCumprod?.length, 1000);
    // the schedule's first value is 1 - beta_0 = 1 - 0.00085 (float32 in the file)
    assert.ok(Math.abs(ckpt.alphasCumprod![0] - (1 - 0.00085)) < 1e-7);
    assert.deepEqual(ckpt.tensors.get('model.diffusion_model.out.2.weight')!.shape, [4, 32, 3, 3]);
  } finally {
    ckpt.close();
  }
});

test('hashes match sha256sum and A1111 legacy definition', () => {
  const ckpt = loadCheckpoint(fixture);
  const hashes = ckpt.hashes();
  ckpt.close();
  const sha = execFileSync('sha256sum', [fixture], { encoding: 'utf8', timeout: timeLimits.command }).split(' ')[0];
  assert.equal(hashes.sha256, sha);
  assert.equal(hashes.shortHash, sha.slice(0, 10));
  const legacy = createHash('sha256').update(readFileSync(fixture).subarray(0x100000, 0x110000)).digest('hex').slice(0, 8);
  assert.equal(hashes.legacyHash, legacy);
});

// Original → diffusers names for the fixture's sizes (UNet: 2 levels × 1 res block, attention on
// both; VAE: 4 levels × 1 res block), written out by hand from the two module trees.
const unetBlocks: [string, string][] = [
  ['time_embed.0.', 'time_embedding.linear_1.'], ['time_embed.2.', 'time_embedding.linear_2.'],
  ['input_blocks.0.0.', 'conv_in.'], ['out.0.', 'conv_norm_out.'], ['out.2.', 'conv_out.'],
  ['input_blocks.1.0.', 'down_blocks.0.resnets.0.'], ['input_blocks.1.1.', 'down_blocks.0.attentions.0.'],
  ['input_blocks.2.0.op.', 'down_blocks.0.downsamplers.0.conv.'],
  ['input_blocks.3.0.', 'down_blocks.1.resnets.0.'], ['input_blocks.3.1.', 'down_blocks.1.attentions.0.'],
  ['middle_block.0.', 'mid_block.resnets.0.'], ['middle_block.1.', 'mid_block.attentions.0.'], ['middle_block.2.', 'mid_block.resnets.1.'],
  ['output_blocks.0.0.', 'up_blocks.0.resnets.0.'], ['output_blocks.0.1.', 'up_blocks.0.attentions.0.'],
  ['output_blocks.1.0.', 'up_blocks.0.resnets.1.'], ['output_blocks.1.1.', 'up_blocks.0.attentions.1.'],
  ['output_blocks.1.2.conv.', 'up_blocks.0.upsamplers.0.conv.'],
  ['output_blocks.2.0.', 'up_blocks.1.resnets.0.'], ['output_blocks.2.1.', 'up_blocks.1.attentions.0.'],
  ['output_blocks.3.0.', 'up_blocks.1.resnets.1.'], ['output_blocks.3.1.', 'up_blocks.1.attentions.1.'],
];
const unetResnet: [string, string][] = [
  ['in_layers.0.', 'norm1.'], ['in_layers.2.', 'conv1.'], ['out_layers.0.', 'norm2.'], ['out_layers.3.', 'conv2.'],
  ['emb_layers.1.', 'time_emb_proj.'], ['skip_connection.', 'conv_shortcut.'],
];

function toDiffusersUnet(name: string): string {
  for (const [from, to] of unetBlocks) {
    if (!name.startsWith(from)) continue;
    let rest = name.slice(from.length);
    if (to.includes('resnets')) for (const [a, b] of unetResnet) if (rest.startsWith(a)) rest = b + rest.slice(a.length);
    return to + rest;
  }
  throw new Error(`test table lacks ${name}`);
}

function toDiffusersVae(name: string): { name: string; squeeze: boolean } {
  let m: RegExpExecArray | null;
  const resnet = (rest: string): string => rest.replace(/^nin_shortcut\./, 'conv_shortcut.');
  if ((m = /^encoder\.down\.(\d)\.block\.(\d)\.(.+)$/.exec(name))) return { name: `encoder.down_blocks.${m[1]}.resnets.${m[2]}.${resnet(m[3])}`, squeeze: false };
  if ((m = /^encoder\.down\.(\d)\.downsample\.conv\.(.+)$/.exec(name))) return { name: `encoder.down_blocks.${m[1]}.downsamplers.0.conv.${m[2]}`, squeeze: false };
  // the decoder's up levels are stored deepest-last in ldm and deepest-first in diffusers
  if ((m = /^decoder\.up\.(\d)\.block\.(\d)\.(.+)$/.exec(name))) return { name: `decoder.up_blocks.${3 - Number(m[1])}.resnets.${m[2]}.${resnet(m[3])}`, squeeze: false };
  if ((m = /^decoder\.up\.(\d)\.upsample\.conv\.(.+)$/.exec(name))) return { name: `decoder.up_blocks.${3 - Number(m[1])}.upsamplers.0.conv.${m[2]}`, squeeze: false };
  if ((m = /^(encoder|decoder)\.mid\.block_(\d)\.(.+)$/.exec(name))) return { name: `${m[1]}.mid_block.resnets.${Number(m[2]) - 1}.${resnet(m[3])}`, squeeze: false };
  const attention: Record<string, string> = { norm: 'group_norm', q: 'to_q', k: 'to_k', v: 'to_v', proj_out: 'to_out.0' };
  if ((m = /^(encoder|decoder)\.mid\.attn_1\.(\w+)\.(weight|bias)$/.exec(name))) return { name: `${m[1]}.mid_block.attentions.0.${attention[m[2]]}.${m[3]}`, squeeze: m[2] !== 'norm' };
  if ((m = /^(encoder|decoder)\.norm_out\.(.+)$/.exec(name))) return { name: `${m[1]}.conv_norm_out.${m[2]}`, squeeze: false };
  return { name, squeeze: false }; // conv_in, conv_out, quant_conv, post_quant_conv keep their names
}

function writeDiffusersFixture(folder: string): void {
  const source = openSafetensors(fixture);
  const unet: SafetensorsTensorData[] = [];
  const vae: SafetensorsTensorData[] = [];
  const text: SafetensorsTensorData[] = [];
  for (const info of source.tensors.values()) {
    const data = source.readRaw(info.name);
    if (info.name.startsWith('model.diffusion_model.')) {
      unet.push({ name: toDiffusersUnet(info.name.slice('model.diffusion_model.'.length)), dtype: info.dtype, shape: info.shape, data });
    } else if (info.name.startsWith('first_stage_model.')) {
      const mapped = toDiffusersVae(info.name.slice('first_stage_model.'.length));
      vae.push({ name: mapped.name, dtype: info.dtype, shape: mapped.squeeze && info.shape.length === 4 ? info.shape.slice(0, 2) : info.shape, data });
    } else if (info.name.startsWith('cond_stage_model.transformer.')) {
      text.push({ name: info.name.slice('cond_stage_model.transformer.'.length), dtype: info.dtype, shape: info.shape, data });
    }
  }
  source.close();
  for (const [dir, file, tensors] of [['unet', 'diffusion_pytorch_model.safetensors', unet], ['vae', 'diffusion_pytorch_model.fp16.safetensors', vae], ['text_encoder', 'model.safetensors', text]] as const) {
    mkdirSync(join(folder, dir), { recursive: true });
    writeSafetensors(join(folder, dir, file), tensors);
  }
  mkdirSync(join(folder, 'tokenizer'));
  writeFileSync(join(folder, 'tokenizer', 'merges.txt'), '#version: 0.2\n');
  writeFileSync(join(folder, 'tokenizer', 'vocab.json'), '{}');
  mkdirSync(join(folder, 'scheduler'));
  writeFileSync(join(folder, 'scheduler', 'scheduler_config.json'), JSON.stringify({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, num_train_timesteps: 1000 }));
  writeFileSync(join(folder, 'model_index.json'), JSON.stringify({ _class_name: 'StableDiffusionPipeline' }));
}

test('diffusers folder: every single-file tensor (except buffers) resolves to the same values and shape', () => {
  const folder = join(scratch, 'tiny-diffusers');
  writeDiffusersFixture(folder);
  const ckpt = loadCheckpoint(folder);
  const reference = openSafetensors(fixture);
  try {
    assert.equal(ckpt.layout, 'diffusers');
    assert.equal(ckpt.name, 'tiny-diffusers');
    assert.equal(ckpt.tokenizerFolder, join(folder, 'tokenizer'));
    assert.deepEqual(ckpt.scheduleConfig, { linearStart: 0.00085, linearEnd: 0.012, timesteps: 1000 });
    let compared = 0;
    for (const info of reference.tensors.values()) {
      if (!/^(model\.diffusion_model|first_stage_model|cond_stage_model)\./.test(info.name)) continue;
      const mapped = ckpt.tensors.get(info.name);
      assert.ok(mapped, `${info.name} resolves`);
      assert.deepEqual(mapped.shape, info.shape, info.name);
      assert.deepEqual(ckpt.readFloat32(info.name), reference.readFloat32(info.name), info.name);
      compared++;
    }
    assert.equal(compared, ckpt.tensors.size);
    assert.ok(ckpt.tensors.get('first_stage_model.decoder.mid.attn_1.q.weight')!.file.endsWith('diffusion_pytorch_model.fp16.safetensors'));
  } finally {
    ckpt.close();
    reference.close();
  }
});

test('non-SD1 inputs are refused with the way out', () => {
  const ckptFile = join(scratch, 'model.ckpt');
  writeFileSync(ckptFile, Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4]));
  assert.throws(() => loadCheckpoint(ckptFile), /model\.ckpt: this pickled PyTorch checkpoint .* could not be read safely \(not a zip-format PyTorch file.*Checkpoint Merger/);

  const lora = join(scratch, 'style-lora.safetensors');
  writeSafetensors(lora, [{ name: 'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight', dtype: 'F16', shape: [4, 320], data: new Uint16Array(4 * 320) }]);
  assert.throws(() => loadCheckpoint(lora), /style-lora\.safetensors: this is a LoRA/);

  const xl = join(scratch, 'xl-diffusers');
  mkdirSync(xl);
  writeFileSync(join(xl, 'model_index.json'), JSON.stringify({ _class_name: 'StableDiffusionXLPipeline' }));
  assert.throws(() => loadCheckpoint(xl), /xl-diffusers: this is an SDXL diffusers model/);

  const binOnly = join(scratch, 'bin-diffusers');
  mkdirSync(join(binOnly, 'unet'), { recursive: true });
  writeFileSync(join(binOnly, 'model_index.json'), JSON.stringify({ _class_name: 'StableDiffusionPipeline' }));
  writeFileSync(join(binOnly, 'unet', 'diffusion_pytorch_model.bin'), Buffer.from([0x50, 0x4b, 3, 4]));
  assert.throws(() => loadCheckpoint(binOnly), /bin-diffusers: diffusers folder without `vae\/diffusion_pytorch_model\.safetensors` — the download is incomplete/);
  for (const [dir, file] of [['vae', 'diffusion_pytorch_model.bin'], ['text_encoder', 'model.bin']]) {
    mkdirSync(join(binOnly, dir));
    writeFileSync(join(binOnly, dir, file), Buffer.from([0x50, 0x4b, 3, 4]));
  }
  assert.throws(() => loadCheckpoint(binOnly), /diffusion_pytorch_model\.bin: this pickled PyTorch checkpoint .* could not be read safely/);

  assert.throws(() => loadCheckpoint(join(scratch, 'nope.safetensors')), /nope\.safetensors: no such file or folder/);
});
