import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectModelKind, unsupportedModelMessage, looksPickled, pickledCheckpointMessage } from '../../src/sd/modelKind';
import { openSafetensors } from '../../src/sd/safetensors';

const fixture = join(__dirname, '../fixtures/sd1-tiny/model.safetensors');

/** A header-only view: names with shapes, as the detector sees a file. */
function shapes(entries: Record<string, number[]>): Map<string, { shape: number[] }> {
  return new Map(Object.entries(entries).map(([name, shape]) => [name, { shape }]));
}

const sd1Core = {
  'model.diffusion_model.input_blocks.0.0.weight': [320, 4, 3, 3],
  'model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight': [320, 768],
  'first_stage_model.decoder.conv_out.weight': [3, 128, 3, 3],
  'cond_stage_model.transformer.text_model.final_layer_norm.weight': [768],
};

test('the fixture checkpoint is SD1', () => {
  const file = openSafetensors(fixture);
  assert.equal(detectModelKind(file.tensors).kind, 'sd1');
  file.close();
  assert.equal(unsupportedModelMessage('x.safetensors', detectModelKind(shapes(sd1Core))), undefined);
});

const cases: { what: string; tensors: Record<string, number[]>; kind: string; message: RegExp }[] = [
  {
    what: 'SDXL',
    tensors: { ...sd1Core, 'conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight': [3840, 1280] },
    kind: 'sdxl',
    message: /m\.safetensors: this looks like an SDXL checkpoint \(found `conditioner\.embedders\.1\.model.*`\); Embedding Studio trains SD1\.x embeddings only/,
  },
  {
    what: 'SD2 (OpenCLIP text model)',
    tensors: { 'model.diffusion_model.input_blocks.0.0.weight': [320, 4, 3, 3], 'first_stage_model.decoder.conv_out.weight': [3, 128, 3, 3], 'cond_stage_model.model.transformer.resblocks.0.ln_1.weight': [1024] },
    kind: 'sd2',
    message: /Stable Diffusion 2\.x checkpoint \(found `cond_stage_model\.model\.transformer.*`.*\); SD2\.x support is planned/,
  },
  {
    what: 'SD2 UNet alone (1024-wide context)',
    tensors: { 'model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight': [320, 1024] },
    kind: 'sd2',
    message: /with context width 1024.*SD2\.x support is planned/,
  },
  {
    what: 'kohya LoRA',
    tensors: { 'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight': [4, 320, 1, 1], 'lora_te_text_model_encoder_layers_0_mlp_fc1.alpha': [] },
    kind: 'lora',
    message: /m\.safetensors: this is a LoRA \(found `lora_unet_down_blocks.*`\), not a full model; choose the base SD1\.x checkpoint/,
  },
  {
    what: 'diffusers-style LoRA',
    tensors: { 'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight': [4, 320] },
    kind: 'lora',
    message: /this is a LoRA/,
  },
  {
    what: 'LyCORIS LoHa',
    tensors: { 'lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_a': [320, 4], 'lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_b': [4, 320] },
    kind: 'lycoris',
    message: /LyCORIS network \(LoHa\/LoKr\/OFT, found `lora_unet_.*hada_w1_a`\)/,
  },
  {
    what: 'LyCORIS LoKr',
    tensors: { 'lora_unet_mid_block_attentions_0_proj_out.lokr_w1': [8, 8] },
    kind: 'lycoris',
    message: /LyCORIS/,
  },
  {
    what: 'VAE-only file',
    tensors: { 'encoder.conv_in.weight': [128, 3, 3, 3], 'decoder.conv_out.weight': [3, 128, 3, 3], 'quant_conv.weight': [8, 8, 1, 1], 'post_quant_conv.weight': [4, 4, 1, 1] },
    kind: 'vae',
    message: /m\.safetensors: this is a VAE-only file \(found `decoder\.conv_out\.weight`\); choose the full SD1\.x checkpoint/,
  },
  {
    what: 'embedding with emb_params',
    tensors: { emb_params: [8, 768] },
    kind: 'embedding',
    message: /textual-inversion embedding \(found `emb_params`\), not a model/,
  },
  {
    what: 'A1111-style embedding names',
    tensors: { 'string_to_param.*': [4, 768] },
    kind: 'embedding',
    message: /textual-inversion embedding/,
  },
  {
    what: 'a single small tensor (diffusers embedding)',
    tensors: { '<my-style>': [768] },
    kind: 'embedding',
    message: /embedding \(found `a single tensor `<my-style>` \[768\]`\)/,
  },
  {
    what: 'SD1 inpainting model (9 input channels)',
    tensors: { ...sd1Core, 'model.diffusion_model.input_blocks.0.0.weight': [320, 9, 3, 3] },
    kind: 'sd1-inpainting',
    message: /inpainting or instruct-pix2pix model \(found `model\.diffusion_model\.input_blocks\.0\.0\.weight with 9 input channels`; text-to-image models have 4\); train embeddings on the base/,
  },
  {
    what: 'UNet without VAE and text encoder',
    tensors: { 'model.diffusion_model.input_blocks.0.0.weight': [320, 4, 3, 3] },
    kind: 'incomplete-sd1',
    message: /has an SD1\.x UNet but no VAE \(`first_stage_model\.\*`\) and no text encoder/,
  },
  {
    what: 'something else',
    tensors: { 'backbone.layer1.weight': [64, 64], 'head.weight': [1000, 64] },
    kind: 'unknown',
    message: /not a Stable Diffusion 1\.x checkpoint \(no `model\.diffusion_model\.\*` tensors; first tensors: backbone\.layer1\.weight/,
  },
];

for (const c of cases) {
  test(`recognises ${c.what}`, () => {
    const detection = detectModelKind(shapes(c.tensors));
    assert.equal(detection.kind, c.kind);
    assert.match(unsupportedModelMessage('/models/m.safetensors', detection) ?? '', c.message);
  });
}

test('pickled files are recognised by their first bytes, and the message says how to convert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelkind-'));
  try {
    const zip = join(dir, 'model.ckpt');
    writeFileSync(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]));
    const raw = join(dir, 'old.pt');
    writeFileSync(raw, Buffer.from([0x80, 0x02, 0x7d, 0x71]));
    assert.equal(looksPickled(zip), true);
    assert.equal(looksPickled(raw), true);
    assert.equal(looksPickled(fixture), false);
    const message = pickledCheckpointMessage(zip, 'no zip directory');
    assert.match(message, /^model\.ckpt: this pickled PyTorch checkpoint \(\.ckpt\/\.pt\/\.bin\) could not be read safely \(no zip directory\)/);
    assert.match(message, /Checkpoint Merger/);
    assert.match(message, /safetensors/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
