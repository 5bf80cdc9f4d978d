// Writes an SD1.x single-file checkpoint with random weights in the real layout (real tensor
// names and shapes: `model.diffusion_model.*`, `first_stage_model.*`,
// `cond_stage_model.transformer.text_model.*`, the DDPM schedule buffers): a tiny one for the
// demo and tests, a full SD1.5-shaped fp16 one (~2 GB) for benchmarks. Weights use torch-default
// scales (uniform ±1/√fan_in) and norms near 1, so the networks' outputs are finite and varied.
import { SeededRandom } from './random';
import { float32ArrayToFloat16 } from './float16';
import { writeSafetensorsStreaming, type SafetensorsDtype, type SafetensorsTensorSpec } from './safetensors';
import { sd1AlphasCumprod } from './noiseSchedule';

export interface RandomCheckpointConfig {
  textEncoder: { vocabSize: number; positions: number; width: number; layers: number; mlpWidth: number };
  unet: {
    inChannels: number;
    outChannels: number;
    modelChannels: number;
    channelMult: number[];
    numResBlocks: number;
    /** Per level: whether its blocks carry a spatial transformer (SD1.5: true, true, true, false). */
    attentionLevels: boolean[];
    transformerDepth: number;
    contextDim: number;
  };
  vae: { ch: number; chMult: number[]; numResBlocks: number; zChannels: number; embedDim: number; inChannels: number; outChannels: number };
  /** Weight dtype; schedule buffers follow it, position_ids stay int64 (as real checkpoints). */
  dtype: 'F32' | 'F16';
}

/** The sizes of the `test/fixtures/sd1-tiny` reference model (its config.json). */
export const tinyCheckpointConfig: RandomCheckpointConfig = {
  textEncoder: { vocabSize: 49408, positions: 77, width: 64, layers: 3, mlpWidth: 256 },
  unet: { inChannels: 4, outChannels: 4, modelChannels: 32, channelMult: [1, 2], numResBlocks: 1, attentionLevels: [true, true], transformerDepth: 1, contextDim: 64 },
  vae: { ch: 32, chMult: [1, 1, 2, 2], numResBlocks: 1, zChannels: 4, embedDim: 4, inChannels: 3, outChannels: 3 },
  dtype: 'F32',
};

/** Stable Diffusion 1.5's sizes, fp16 as most published checkpoints. */
export const sd15CheckpointConfig: RandomCheckpointConfig = {
  textEncoder: { vocabSize: 49408, positions: 77, width: 768, layers: 12, mlpWidth: 3072 },
  unet: { inChannels: 4, outChannels: 4, modelChannels: 320, channelMult: [1, 2, 4, 4], numResBlocks: 2, attentionLevels: [true, true, true, false], transformerDepth: 1, contextDim: 768 },
  vae: { ch: 128, chMult: [1, 2, 4, 4], numResBlocks: 2, zChannels: 4, embedDim: 4, inChannels: 3, outChannels: 3 },
  dtype: 'F16',
};

/** How a tensor is filled. */
export type TensorInit =
  | { kind: 'uniform'; bound: number }
  | { kind: 'normal'; std: number }
  | { kind: 'norm-weight' } // 1 + 0.1·N(0, 1)
  | { kind: 'norm-bias' } // 0.1·N(0, 1)
  | { kind: 'schedule'; buffer: string }
  | { kind: 'position-ids' };

export interface RandomTensorSpec extends SafetensorsTensorSpec {
  init: TensorInit;
}

class SpecList {
  readonly specs: RandomTensorSpec[] = [];
  constructor(private readonly dtype: SafetensorsDtype) {}
  add(name: string, shape: number[], init: TensorInit, dtype: SafetensorsDtype = this.dtype): void {
    this.specs.push({ name, dtype, shape, init });
  }
  /** A conv or linear layer: weight [out, in, (k, k)] and bias [out], torch-default bounds. */
  layer(name: string, shape: number[], bias = true): void {
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    this.add(`${name}.weight`, shape, { kind: 'uniform', bound });
    if (bias) this.add(`${name}.bias`, [shape[0]], { kind: 'uniform', bound });
  }
  norm(name: string, channels: number): void {
    this.add(`${name}.weight`, [channels], { kind: 'norm-weight' });
    this.add(`${name}.bias`, [channels], { kind: 'norm-bias' });
  }
}

function textEncoderSpecs(list: SpecList, config: RandomCheckpointConfig['textEncoder']): void {
  const p = 'cond_stage_model.transformer.text_model.';
  const w = config.width;
  list.add(`${p}embeddings.token_embedding.weight`, [config.vocabSize, w], { kind: 'normal', std: 0.02 });
  list.add(`${p}embeddings.position_embedding.weight`, [config.positions, w], { kind: 'normal', std: 0.01 });
  list.add(`${p}embeddings.position_ids`, [1, config.positions], { kind: 'position-ids' }, 'I64');
  for (let i = 0; i < config.layers; i++) {
    const l = `${p}encoder.layers.${i}.`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) list.layer(`${l}self_attn.${proj}`, [w, w]);
    list.norm(`${l}layer_norm1`, w);
    list.layer(`${l}mlp.fc1`, [config.mlpWidth, w]);
    list.layer(`${l}mlp.fc2`, [w, config.mlpWidth]);
    list.norm(`${l}layer_norm2`, w);
  }
  list.norm(`${p}final_layer_norm`, w);
}

function unetResBlock(list: SpecList, name: string, inChannels: number, outChannels: number, timeEmbedDim: number): void {
  list.norm(`${name}.in_layers.0`, inChannels);
  list.layer(`${name}.in_layers.2`, [outChannels, inChannels, 3, 3]);
  list.layer(`${name}.emb_layers.1`, [outChannels, timeEmbedDim]);
  list.norm(`${name}.out_layers.0`, outChannels);
  list.layer(`${name}.out_layers.3`, [outChannels, outChannels, 3, 3]);
  if (inChannels !== outChannels) list.layer(`${name}.skip_connection`, [outChannels, inChannels, 1, 1]);
}

function spatialTransformer(list: SpecList, name: string, channels: number, contextDim: number, depth: number): void {
  list.norm(`${name}.norm`, channels);
  list.layer(`${name}.proj_in`, [channels, channels, 1, 1]);
  for (let d = 0; d < depth; d++) {
    const b = `${name}.transformer_blocks.${d}`;
    for (const [attn, kvWidth] of [['attn1', channels], ['attn2', contextDim]] as const) {
      list.layer(`${b}.${attn}.to_q`, [channels, channels], false);
      list.layer(`${b}.${attn}.to_k`, [channels, kvWidth], false);
      list.layer(`${b}.${attn}.to_v`, [channels, kvWidth], false);
      list.layer(`${b}.${attn}.to_out.0`, [channels, channels]);
    }
    list.layer(`${b}.ff.net.0.proj`, [channels * 8, channels]); // GEGLU: 2 × the 4× inner width
    list.layer(`${b}.ff.net.2`, [channels, channels * 4]);
    for (const n of ['norm1', 'norm2', 'norm3']) list.norm(`${b}.${n}`, channels);
  }
  list.layer(`${name}.proj_out`, [channels, channels, 1, 1]);
}

function unetSpecs(list: SpecList, config: RandomCheckpointConfig['unet']): void {
  const p = 'model.diffusion_model.';
  const mc = config.modelChannels;
  const ted = 4 * mc;
  list.layer(`${p}time_embed.0`, [ted, mc]);
  list.layer(`${p}time_embed.2`, [ted, ted]);
  list.layer(`${p}input_blocks.0.0`, [mc, config.inChannels, 3, 3]);
  const skipChannels = [mc];
  let ch = mc;
  let block = 1;
  const levels = config.channelMult.length;
  for (let level = 0; level < levels; level++) {
    const out = mc * config.channelMult[level];
    for (let j = 0; j < config.numResBlocks; j++) {
      unetResBlock(list, `${p}input_blocks.${block}.0`, ch, out, ted);
      ch = out;
      if (config.attentionLevels[level]) spatialTransformer(list, `${p}input_blocks.${block}.1`, ch, config.contextDim, config.transformerDepth);
      skipChannels.push(ch);
      block++;
    }
    if (level < levels - 1) {
      list.layer(`${p}input_blocks.${block}.0.op`, [ch, ch, 3, 3]);
      skipChannels.push(ch);
      block++;
    }
  }
  unetResBlock(list, `${p}middle_block.0`, ch, ch, ted);
  spatialTransformer(list, `${p}middle_block.1`, ch, config.contextDim, config.transformerDepth);
  unetResBlock(list, `${p}middle_block.2`, ch, ch, ted);
  block = 0;
  for (let level = levels - 1; level >= 0; level--) {
    const out = mc * config.channelMult[level];
    for (let i = 0; i <= config.numResBlocks; i++) {
      const skip = skipChannels.pop()!;
      unetResBlock(list, `${p}output_blocks.${block}.0`, ch + skip, out, ted);
      ch = out;
      let index = 1;
      if (config.attentionLevels[level]) spatialTransformer(list, `${p}output_blocks.${block}.${index++}`, ch, config.contextDim, config.transformerDepth);
      if (level > 0 && i === config.numResBlocks) list.layer(`${p}output_blocks.${block}.${index}.conv`, [ch, ch, 3, 3]);
      block++;
    }
  }
  list.norm(`${p}out.0`, mc);
  list.layer(`${p}out.2`, [config.outChannels, mc, 3, 3]);
}

function vaeResBlock(list: SpecList, name: string, inChannels: number, outChannels: number): void {
  list.norm(`${name}.norm1`, inChannels);
  list.layer(`${name}.conv1`, [outChannels, inChannels, 3, 3]);
  list.norm(`${name}.norm2`, outChannels);
  list.layer(`${name}.conv2`, [outChannels, outChannels, 3, 3]);
  if (inChannels !== outChannels) list.layer(`${name}.nin_shortcut`, [outChannels, inChannels, 1, 1]);
}

function vaeMid(list: SpecList, name: string, channels: number): void {
  vaeResBlock(list, `${name}.block_1`, channels, channels);
  list.norm(`${name}.attn_1.norm`, channels);
  for (const part of ['q', 'k', 'v', 'proj_out']) list.layer(`${name}.attn_1.${part}`, [channels, channels, 1, 1]);
  vaeResBlock(list, `${name}.block_2`, channels, channels);
}

function vaeSpecs(list: SpecList, config: RandomCheckpointConfig['vae']): void {
  const p = 'first_stage_model.';
  const levels = config.chMult.length;
  list.layer(`${p}encoder.conv_in`, [config.ch, config.inChannels, 3, 3]);
  let blockIn = config.ch;
  for (let i = 0; i < levels; i++) {
    const blockOut = config.ch * config.chMult[i];
    for (let j = 0; j < config.numResBlocks; j++) {
      vaeResBlock(list, `${p}encoder.down.${i}.block.${j}`, blockIn, blockOut);
      blockIn = blockOut;
    }
    if (i < levels - 1) list.layer(`${p}encoder.down.${i}.downsample.conv`, [blockIn, blockIn, 3, 3]);
  }
  vaeMid(list, `${p}encoder.mid`, blockIn);
  list.norm(`${p}encoder.norm_out`, blockIn);
  list.layer(`${p}encoder.conv_out`, [2 * config.zChannels, blockIn, 3, 3]);

  blockIn = config.ch * config.chMult[levels - 1];
  list.layer(`${p}decoder.conv_in`, [blockIn, config.zChannels, 3, 3]);
  vaeMid(list, `${p}decoder.mid`, blockIn);
  for (let i = levels - 1; i >= 0; i--) {
    const blockOut = config.ch * config.chMult[i];
    for (let j = 0; j <= config.numResBlocks; j++) {
      vaeResBlock(list, `${p}decoder.up.${i}.block.${j}`, blockIn, blockOut);
      blockIn = blockOut;
    }
    if (i > 0) list.layer(`${p}decoder.up.${i}.upsample.conv`, [blockIn, blockIn, 3, 3]);
  }
  list.norm(`${p}decoder.norm_out`, blockIn);
  list.layer(`${p}decoder.conv_out`, [config.outChannels, blockIn, 3, 3]);
  list.layer(`${p}quant_conv`, [2 * config.embedDim, 2 * config.zChannels, 1, 1]);
  list.layer(`${p}post_quant_conv`, [config.zChannels, config.embedDim, 1, 1]);
}

const scheduleBufferNames = [
  'betas', 'alphas_cumprod', 'alphas_cumprod_prev', 'sqrt_alphas_cumprod', 'sqrt_one_minus_alphas_cumprod',
  'log_one_minus_alphas_cumprod', 'sqrt_recip_alphas_cumprod', 'sqrt_recipm1_alphas_cumprod', 'posterior_variance',
  'posterior_log_variance_clipped', 'posterior_mean_coef1', 'posterior_mean_coef2',
];

/** ldm's DDPM buffers (register_schedule with v_posterior = 0) for the SD1 schedule, in float64. */
export function ddpmScheduleBuffers(): Record<string, Float64Array> {
  const ac = sd1AlphasCumprod();
  const n = ac.length;
  const prev = Float64Array.from({ length: n }, (_, t) => (t === 0 ? 1 : ac[t - 1]));
  const betas = Float64Array.from({ length: n }, (_, t) => 1 - ac[t] / prev[t]);
  const map = (f: (t: number) => number): Float64Array => Float64Array.from({ length: n }, (_, t) => f(t));
  const posteriorVariance = map((t) => (betas[t] * (1 - prev[t])) / (1 - ac[t]));
  return {
    betas,
    alphas_cumprod: ac,
    alphas_cumprod_prev: prev,
    sqrt_alphas_cumprod: map((t) => Math.sqrt(ac[t])),
    sqrt_one_minus_alphas_cumprod: map((t) => Math.sqrt(1 - ac[t])),
    log_one_minus_alphas_cumprod: map((t) => Math.log(1 - ac[t])),
    sqrt_recip_alphas_cumprod: map((t) => Math.sqrt(1 / ac[t])),
    sqrt_recipm1_alphas_cumprod: map((t) => Math.sqrt(1 / ac[t] - 1)),
    posterior_variance: posteriorVariance,
    posterior_log_variance_clipped: map((t) => Math.log(Math.max(posteriorVariance[t], 1e-20))),
    posterior_mean_coef1: map((t) => (betas[t] * Math.sqrt(prev[t])) / (1 - ac[t])),
    posterior_mean_coef2: map((t) => ((1 - prev[t]) * Math.sqrt(1 - betas[t])) / (1 - ac[t])),
  };
}

/** Every tensor of a random checkpoint with this config, with how it is filled. */
export function randomCheckpointSpecs(config: RandomCheckpointConfig): RandomTensorSpec[] {
  if (config.unet.attentionLevels.length !== config.unet.channelMult.length) {
    throw new Error('unet.attentionLevels needs one entry per channelMult level');
  }
  const list = new SpecList(config.dtype);
  unetSpecs(list, config.unet);
  vaeSpecs(list, config.vae);
  textEncoderSpecs(list, config.textEncoder);
  for (const buffer of scheduleBufferNames) list.add(buffer, [1000], { kind: 'schedule', buffer });
  return list.specs;
}

/** Number of weights (excluding buffers) a config describes. */
export function randomCheckpointParameterCount(config: RandomCheckpointConfig): number {
  return randomCheckpointSpecs(config)
    .filter((s) => s.init.kind !== 'schedule' && s.init.kind !== 'position-ids')
    .reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
}

/** The metadata entry that marks a checkpoint written here: its weights are random, so it cannot learn. */
export const randomWeightsMetadata = { key: 'random_weights', value: 'true' } as const;

/** Whether a checkpoint's metadata says its weights are random (written by writeRandomCheckpoint). */
export function hasRandomWeights(metadata: Readonly<Record<string, string>>): boolean {
  return metadata[randomWeightsMetadata.key] === randomWeightsMetadata.value;
}

/**
 * Writes the checkpoint atomically, one tensor at a time (a full-size one never sits in memory
 * whole). Deterministic in `seed`: the same seed gives the same bytes.
 */
export function writeRandomCheckpoint(path: string, config: RandomCheckpointConfig, seed: number, metadata: Record<string, string> = {}): void {
  const rng = new SeededRandom(seed);
  const schedule = ddpmScheduleBuffers();
  const specs = randomCheckpointSpecs(config);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const produce = (spec: SafetensorsTensorSpec): ArrayBufferView => {
    const { init, shape, dtype } = byName.get(spec.name)!;
    const count = shape.reduce((a, b) => a * b, 1);
    if (init.kind === 'position-ids') return BigInt64Array.from({ length: count }, (_, i) => BigInt(i));
    let values: Float32Array;
    if (init.kind === 'schedule') {
      values = Float32Array.from(schedule[init.buffer]);
    } else {
      values = new Float32Array(count);
      if (init.kind === 'uniform') {
        // two 16-bit draws per 32-bit output (2^-15 steps of the bound, finer than fp16 itself):
        // the RNG dominates the time of writing a billion weights
        const scale = (2 * init.bound) / 65536;
        const offset = init.bound - scale / 2;
        for (let i = 0; i < count; i += 2) {
          const r = rng.nextUint32();
          values[i] = (r & 0xffff) * scale - offset;
          if (i + 1 < count) values[i + 1] = (r >>> 16) * scale - offset;
        }
      } else if (init.kind === 'normal') for (let i = 0; i < count; i++) values[i] = init.std * rng.nextGaussian();
      else if (init.kind === 'norm-weight') for (let i = 0; i < count; i++) values[i] = 1 + 0.1 * rng.nextGaussian();
      else for (let i = 0; i < count; i++) values[i] = 0.1 * rng.nextGaussian();
    }
    return dtype === 'F16' ? float32ArrayToFloat16(values) : values;
  };
  writeSafetensorsStreaming(path, specs, produce, {
    format: 'pt',
    description: 'random SD1.x checkpoint written by Embedding Studio: random weights, for demos, tests and benchmarks only',
    seed: String(seed),
    ...metadata,
    [randomWeightsMetadata.key]: randomWeightsMetadata.value,
  });
}
