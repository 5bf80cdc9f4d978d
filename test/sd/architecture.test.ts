import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dtypeItemSize, openSafetensors } from '../../src/sd/safetensors';
import { randomCheckpointSpecs, sd15CheckpointConfig } from '../../src/sd/randomCheckpoint';
import { buildTextualInversionLossGraph } from '../../src/sd/textualInversionLossGraph';
import { headsFromFixtureConfig, inferSd1Architecture, unetHeadsAt, type TensorShapes } from '../../src/sd/architecture';

const fixtureDir = join(__dirname, '../fixtures/sd1-tiny');
const config = JSON.parse(readFileSync(join(fixtureDir, 'config.json'), 'utf8'));

test('the tiny fixture architecture matches its config.json', () => {
  const file = openSafetensors(join(fixtureDir, 'model.safetensors'));
  try {
    const arch = inferSd1Architecture(file, headsFromFixtureConfig(config));
    const te = config.text_encoder;
    assert.deepEqual(
      [arch.textEncoder.vocabSize, arch.textEncoder.positions, arch.textEncoder.width, arch.textEncoder.layers, arch.textEncoder.heads, arch.textEncoder.mlpWidth],
      [te.vocab_size, te.context_length, te.width, te.layers, te.heads, te.mlp_dim],
    );
    const u = config.unet;
    assert.equal(arch.unet.modelChannels, u.model_channels);
    assert.deepEqual(arch.unet.channelMult, u.channel_mult);
    assert.equal(arch.unet.numResBlocks, u.num_res_blocks);
    assert.equal(arch.unet.inChannels, u.in_channels);
    assert.equal(arch.unet.outChannels, u.out_channels);
    assert.equal(arch.unet.contextDim, u.context_dim);
    assert.equal(arch.unet.heads, u.num_heads);
    assert.equal(arch.unet.linearProjection, u.use_linear_in_transformer);
    assert.equal(arch.unet.timeEmbedDim, 4 * u.model_channels);
    // attention_resolutions are downsample rates: level i has rate 2^i
    assert.deepEqual(arch.unet.levels.map((l) => l.attention), u.channel_mult.map((_: number, i: number) => u.attention_resolutions.includes(2 ** i)));
    assert.ok(arch.unet.levels.every((l) => !l.attention || l.transformerDepth === u.transformer_depth));
    const v = config.vae;
    assert.deepEqual([arch.vae.ch, arch.vae.chMult, arch.vae.numResBlocks, arch.vae.zChannels, arch.vae.embedDim, arch.vae.inChannels, arch.vae.outChannels],
      [v.ch, v.ch_mult, v.num_res_blocks, v.z_channels, v.embed_dim, v.in_channels, v.out_ch]);
    assert.equal(arch.vae.downscale, 8);
  } finally {
    file.close();
  }
});

/** SD1.5's tensor shapes, written from the published v1-inference.yaml hyperparameters. */
function sd15Shapes(): TensorShapes {
  const tensors = new Map<string, { shape: number[] }>();
  const add = (name: string, shape: number[]) => tensors.set(name, { shape });
  const te = 'cond_stage_model.transformer.text_model.';
  add(`${te}embeddings.token_embedding.weight`, [49408, 768]);
  add(`${te}embeddings.position_embedding.weight`, [77, 768]);
  for (let l = 0; l < 12; l++) {
    add(`${te}encoder.layers.${l}.mlp.fc1.weight`, [3072, 768]);
    add(`${te}encoder.layers.${l}.self_attn.q_proj.weight`, [768, 768]);
  }
  add(`${te}final_layer_norm.weight`, [768]);
  const u = 'model.diffusion_model.';
  add(`${u}input_blocks.0.0.weight`, [320, 4, 3, 3]);
  add(`${u}time_embed.0.weight`, [1280, 320]);
  add(`${u}out.2.weight`, [4, 320, 3, 3]);
  const mult = [1, 2, 4, 4];
  let block = 1;
  for (let level = 0; level < 4; level++) {
    for (let r = 0; r < 2; r++) {
      add(`${u}input_blocks.${block}.0.in_layers.2.weight`, [320 * mult[level], 320, 3, 3]);
      if (level < 3) {
        add(`${u}input_blocks.${block}.1.proj_in.weight`, [320 * mult[level], 320 * mult[level], 1, 1]);
        add(`${u}input_blocks.${block}.1.transformer_blocks.0.attn2.to_k.weight`, [320 * mult[level], 768]);
      }
      block++;
    }
    if (level < 3) add(`${u}input_blocks.${block++}.0.op.weight`, [320 * mult[level], 320 * mult[level], 3, 3]);
  }
  add(`${u}middle_block.1.proj_in.weight`, [1280, 1280, 1, 1]);
  add(`${u}middle_block.1.transformer_blocks.0.attn2.to_k.weight`, [1280, 768]);
  for (let b = 0; b < 12; b++) add(`${u}output_blocks.${b}.0.in_layers.2.weight`, [1, 1, 3, 3]);
  const v = 'first_stage_model.';
  add(`${v}encoder.conv_in.weight`, [128, 3, 3, 3]);
  add(`${v}decoder.conv_out.weight`, [3, 128, 3, 3]);
  [1, 2, 4, 4].forEach((m, level) => {
    add(`${v}encoder.down.${level}.block.0.conv1.weight`, [128 * m, 128, 3, 3]);
    add(`${v}encoder.down.${level}.block.1.conv1.weight`, [128 * m, 128 * m, 3, 3]);
  });
  add(`${v}encoder.conv_out.weight`, [8, 512, 3, 3]);
  add(`${v}post_quant_conv.weight`, [4, 4, 1, 1]);
  add(`${v}decoder.conv_in.weight`, [512, 4, 3, 3]);
  return { tensors, path: 'sd15.safetensors' };
}

test('SD1.5 shapes give the SD1.5 architecture with default heads 12 and 8', () => {
  const arch = inferSd1Architecture(sd15Shapes());
  assert.deepEqual([arch.textEncoder.width, arch.textEncoder.layers, arch.textEncoder.heads, arch.textEncoder.mlpWidth], [768, 12, 12, 3072]);
  assert.deepEqual(arch.unet.channelMult, [1, 2, 4, 4]);
  assert.equal(arch.unet.numResBlocks, 2);
  assert.deepEqual(arch.unet.levels.map((l) => l.attention), [true, true, true, false]);
  assert.equal(arch.unet.heads, 8);
  assert.equal(unetHeadsAt(arch.unet, 640), 8);
  assert.equal(arch.unet.contextDim, 768);
  assert.equal(arch.unet.linearProjection, false);
  assert.deepEqual(arch.vae.chMult, [1, 2, 4, 4]);
  assert.equal(arch.vae.numResBlocks, 2);
  assert.equal(arch.vae.downscale, 8);
});

test('head overrides are validated against the widths', () => {
  assert.throws(() => inferSd1Architecture(sd15Shapes(), { textHeads: 7 }), /768 is not divisible by 7/);
  const arch = inferSd1Architecture(sd15Shapes(), { unetHeadChannels: 64 });
  assert.equal(unetHeadsAt(arch.unet, 640), 10);
});

test('a missing tensor names the tensor and the file', () => {
  const shapes = sd15Shapes();
  (shapes.tensors as Map<string, unknown>).delete('model.diffusion_model.out.2.weight');
  assert.throws(() => inferSd1Architecture(shapes), /sd15\.safetensors: tensor `model\.diffusion_model\.out\.2\.weight` is missing/);
});

test('the SD1.5 TI loss graph builds from real SD1.5 tensor names and shapes at 64×64 latents', () => {
  const tensors = new Map<string, { dtype: 'F16'; shape: number[]; fileOffset: number; byteLength: number }>();
  let offset = 8;
  for (const spec of randomCheckpointSpecs(sd15CheckpointConfig)) {
    const byteLength = spec.shape.reduce((a, b) => a * b, 1) * dtypeItemSize[spec.dtype];
    tensors.set(spec.name, { dtype: spec.dtype as 'F16', shape: spec.shape, fileOffset: offset, byteLength });
    offset += byteLength;
  }
  const source = { path: 'sd15.safetensors', tensors, readRaw: () => Buffer.alloc(0) };
  const arch = inferSd1Architecture(source);
  assert.deepEqual(arch.unet.channelMult, sd15CheckpointConfig.unet.channelMult);
  assert.deepEqual(arch.unet.levels.map((l) => l.attention), sd15CheckpointConfig.unet.attentionLevels);
  assert.deepEqual(arch.vae.chMult, sd15CheckpointConfig.vae.chMult);
  const built = buildTextualInversionLossGraph(source, arch, { clipSkip: 2, batch: 1, latentHeight: 64, latentWidth: 64, vectors: 8 });
  assert.deepEqual(built.outputNames, ['loss', 'grad']);
  // the weights are referenced in place: one external file, nothing converted
  const files = built.weights.externalFiles();
  assert.deepEqual(files.map((f) => f.location), ['sd15.safetensors']);
});
