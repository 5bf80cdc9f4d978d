// The SD1.x architecture read off a checkpoint's tensor names and shapes, so every graph is
// built for the model the user actually has (fixtures are tiny, real models are not).
// Head counts are the one thing shapes cannot tell: SD1 uses 12 text heads and 8 UNet heads.

/** What architecture inference needs from a checkpoint: tensor names and their shapes. */
export interface TensorShapes {
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>;
  /** Used in error messages. */
  readonly path?: string;
}

export const textEncoderPrefix = 'cond_stage_model.transformer.text_model.';
export const unetPrefix = 'model.diffusion_model.';
export const vaePrefix = 'first_stage_model.';

export interface TextEncoderArchitecture {
  prefix: string;
  vocabSize: number;
  /** Sequence length (77 for SD1). */
  positions: number;
  width: number;
  layers: number;
  heads: number;
  mlpWidth: number;
}

export interface UnetLevel {
  /** Output channels of this level's res blocks (model_channels * channel_mult). */
  channels: number;
  /** Whether this level's blocks carry a spatial transformer. */
  attention: boolean;
  /** Transformer blocks per spatial transformer at this level (0 without attention). */
  transformerDepth: number;
}

export interface UnetArchitecture {
  prefix: string;
  inChannels: number;
  outChannels: number;
  modelChannels: number;
  channelMult: number[];
  levels: UnetLevel[];
  numResBlocks: number;
  timeEmbedDim: number;
  contextDim: number;
  /** Heads per spatial transformer, unless `headChannels` is set. */
  heads: number;
  /** When set, heads = channels / headChannels at each level (ldm num_head_channels). */
  headChannels?: number;
  /** SD1 uses 1x1 convolutions for proj_in/proj_out; SD2-style checkpoints use linears. */
  linearProjection: boolean;
  middleTransformerDepth: number;
}

export interface VaeArchitecture {
  prefix: string;
  inChannels: number;
  outChannels: number;
  ch: number;
  chMult: number[];
  numResBlocks: number;
  zChannels: number;
  embedDim: number;
  /** Pixels per latent cell: 2^(levels-1). */
  downscale: number;
}

export interface Sd1Architecture {
  textEncoder: TextEncoderArchitecture;
  unet: UnetArchitecture;
  vae: VaeArchitecture;
}

export interface ArchitectureOptions {
  /** CLIP text attention heads (default 12, SD1's ViT-L/14 text tower). */
  textHeads?: number;
  /** UNet attention heads per spatial transformer (default 8, SD1). */
  unetHeads?: number;
  /** Fixed UNet head width instead of a fixed head count (ldm's num_head_channels, SD2 style). */
  unetHeadChannels?: number;
}

export const defaultTextHeads = 12;
export const defaultUnetHeads = 8;

class ShapeReader {
  constructor(private readonly source: TensorShapes) {}

  has(name: string): boolean {
    return this.source.tensors.has(name);
  }

  shape(name: string, rank?: number): readonly number[] {
    const info = this.source.tensors.get(name);
    if (!info) {
      throw new Error(
        `${this.source.path ?? 'checkpoint'}: tensor \`${name}\` is missing — this does not look like a complete ` +
          'SD1.x single-file checkpoint (A1111 layout with model.diffusion_model.*, first_stage_model.*, ' +
          'cond_stage_model.transformer.text_model.*).',
      );
    }
    if (rank !== undefined && info.shape.length !== rank) {
      throw new Error(
        `${this.source.path ?? 'checkpoint'}: tensor \`${name}\` has shape [${info.shape.join(', ')}], ` +
          `expected rank ${rank} — the checkpoint is not an SD1.x model or is damaged.`,
      );
    }
    return info.shape;
  }

  /** Largest N such that `${prefix}${N}${suffix}` exists for every 0..N-1 (count of indexed blocks). */
  count(prefix: string, suffix: string): number {
    let n = 0;
    while (this.hasAny(`${prefix}${n}${suffix}`)) n++;
    return n;
  }

  /** Whether any tensor name starts with `namePrefix`. */
  hasAny(namePrefix: string): boolean {
    for (const name of this.source.tensors.keys()) if (name.startsWith(namePrefix)) return true;
    return false;
  }

  fail(message: string): never {
    throw new Error(`${this.source.path ?? 'checkpoint'}: ${message}`);
  }
}

function checkHeads(kind: string, heads: number, width: number, reader: ShapeReader): void {
  if (!Number.isInteger(heads) || heads < 1 || width % heads !== 0) {
    const option = kind === 'text encoder' ? ['--text-heads', 'textHeads', 12] : ['--unet-heads', 'unetHeads', 8];
    reader.fail(
      `${kind} width ${width} is not divisible by ${heads} attention heads — set the head count to a divisor of ${width} (${option[0]} N on the command line, "${option[1]}" in run-config.json; SD1 itself has ${option[2]}).`,
    );
  }
}

export function inferTextEncoderArchitecture(source: TensorShapes, options: ArchitectureOptions = {}): TextEncoderArchitecture {
  const reader = new ShapeReader(source);
  const prefix = textEncoderPrefix;
  const [vocabSize, width] = reader.shape(`${prefix}embeddings.token_embedding.weight`, 2);
  const [positions] = reader.shape(`${prefix}embeddings.position_embedding.weight`, 2);
  const layers = reader.count(`${prefix}encoder.layers.`, '.');
  if (layers === 0) reader.fail(`no text encoder layers found under \`${prefix}encoder.layers.\`.`);
  const [mlpWidth] = reader.shape(`${prefix}encoder.layers.0.mlp.fc1.weight`, 2);
  reader.shape(`${prefix}final_layer_norm.weight`, 1);
  const heads = options.textHeads ?? defaultTextHeads;
  checkHeads('text encoder', heads, width, reader);
  return { prefix, vocabSize, positions, width, layers, heads, mlpWidth };
}

export function inferUnetArchitecture(source: TensorShapes, options: ArchitectureOptions = {}): UnetArchitecture {
  const reader = new ShapeReader(source);
  const prefix = unetPrefix;
  const [modelChannels, inChannels] = reader.shape(`${prefix}input_blocks.0.0.weight`, 4);
  const [outChannels] = reader.shape(`${prefix}out.2.weight`, 4);
  const [timeEmbedDim] = reader.shape(`${prefix}time_embed.0.weight`, 2);

  // input_blocks after the stem: per level numResBlocks res blocks (each maybe with a
  // transformer), then a downsample (`.0.op`) except after the last level.
  const levels: UnetLevel[] = [];
  const resBlocksPerLevel: number[] = [];
  let block = 1;
  let linearProjection: boolean | undefined;
  let contextDim: number | undefined;
  for (;;) {
    let resBlocks = 0;
    let levelChannels = 0;
    let attention = false;
    let transformerDepth = 0;
    while (reader.has(`${prefix}input_blocks.${block}.0.in_layers.2.weight`)) {
      [levelChannels] = reader.shape(`${prefix}input_blocks.${block}.0.in_layers.2.weight`, 4);
      const transformer = `${prefix}input_blocks.${block}.1.`;
      if (reader.has(`${transformer}proj_in.weight`)) {
        attention = true;
        transformerDepth = reader.count(`${transformer}transformer_blocks.`, '.');
        linearProjection = reader.shape(`${transformer}proj_in.weight`).length === 2;
        contextDim = reader.shape(`${transformer}transformer_blocks.0.attn2.to_k.weight`, 2)[1];
      }
      resBlocks++;
      block++;
    }
    if (resBlocks === 0) break;
    if (levelChannels % modelChannels !== 0) {
      reader.fail(`UNet level ${levels.length} has ${levelChannels} channels, not a multiple of model_channels ${modelChannels}.`);
    }
    levels.push({ channels: levelChannels, attention, transformerDepth });
    resBlocksPerLevel.push(resBlocks);
    if (!reader.has(`${prefix}input_blocks.${block}.0.op.weight`)) break;
    block++;
  }
  if (levels.length === 0) reader.fail(`no UNet res blocks found under \`${prefix}input_blocks.1.0\`.`);
  const numResBlocks = resBlocksPerLevel[0];
  if (resBlocksPerLevel.some((n) => n !== numResBlocks)) {
    reader.fail(`UNet levels have different res block counts (${resBlocksPerLevel.join(', ')}); SD1 uses the same count per level.`);
  }
  const expectedOutputBlocks = levels.length * (numResBlocks + 1);
  const outputBlocks = reader.count(`${prefix}output_blocks.`, '.');
  if (outputBlocks !== expectedOutputBlocks) {
    reader.fail(`UNet has ${outputBlocks} output blocks, expected ${expectedOutputBlocks} for ${levels.length} levels of ${numResBlocks} res blocks.`);
  }
  const middleTransformer = `${prefix}middle_block.1.`;
  reader.shape(`${middleTransformer}proj_in.weight`);
  const middleTransformerDepth = reader.count(`${middleTransformer}transformer_blocks.`, '.');
  linearProjection ??= reader.shape(`${middleTransformer}proj_in.weight`).length === 2;
  contextDim ??= reader.shape(`${middleTransformer}transformer_blocks.0.attn2.to_k.weight`, 2)[1];

  const heads = options.unetHeads ?? defaultUnetHeads;
  const headChannels = options.unetHeadChannels;
  for (const channels of [...levels.filter((level) => level.attention).map((level) => level.channels), levels[levels.length - 1].channels]) {
    if (headChannels !== undefined) checkHeads('UNet level', channels / headChannels, channels, reader);
    else checkHeads('UNet level', heads, channels, reader);
  }
  return {
    prefix,
    inChannels,
    outChannels,
    modelChannels,
    channelMult: levels.map((level) => level.channels / modelChannels),
    levels,
    numResBlocks,
    timeEmbedDim,
    contextDim,
    heads,
    headChannels,
    linearProjection,
    middleTransformerDepth,
  };
}

export function inferVaeArchitecture(source: TensorShapes): VaeArchitecture {
  const reader = new ShapeReader(source);
  const prefix = vaePrefix;
  const [ch, inChannels] = reader.shape(`${prefix}encoder.conv_in.weight`, 4);
  const [outChannels] = reader.shape(`${prefix}decoder.conv_out.weight`, 4);
  const levelCount = reader.count(`${prefix}encoder.down.`, '.');
  if (levelCount === 0) reader.fail(`no VAE encoder levels found under \`${prefix}encoder.down.\`.`);
  const numResBlocks = reader.count(`${prefix}encoder.down.0.block.`, '.');
  const chMult: number[] = [];
  for (let level = 0; level < levelCount; level++) {
    const [channels] = reader.shape(`${prefix}encoder.down.${level}.block.0.conv1.weight`, 4);
    if (channels % ch !== 0) reader.fail(`VAE level ${level} has ${channels} channels, not a multiple of ch ${ch}.`);
    chMult.push(channels / ch);
  }
  const [doubleZ] = reader.shape(`${prefix}encoder.conv_out.weight`, 4);
  const [embedDim] = reader.shape(`${prefix}post_quant_conv.weight`, 4);
  const [, zChannels] = reader.shape(`${prefix}decoder.conv_in.weight`, 4);
  if (doubleZ !== 2 * zChannels) reader.fail(`VAE encoder emits ${doubleZ} channels, expected 2 × z_channels (${zChannels}).`);
  return { prefix, inChannels, outChannels, ch, chMult, numResBlocks, zChannels, embedDim, downscale: 2 ** (levelCount - 1) };
}

export function inferSd1Architecture(source: TensorShapes, options: ArchitectureOptions = {}): Sd1Architecture {
  return {
    textEncoder: inferTextEncoderArchitecture(source, options),
    unet: inferUnetArchitecture(source, options),
    vae: inferVaeArchitecture(source),
  };
}

/** Attention heads of a spatial transformer with `channels` channels. */
export function unetHeadsAt(unet: UnetArchitecture, channels: number): number {
  return unet.headChannels !== undefined ? channels / unet.headChannels : unet.heads;
}

/** Head counts of a fixture folder's `config.json` (documentation for the fixture model). */
export function headsFromFixtureConfig(config: unknown): ArchitectureOptions {
  const root = config as { text_encoder?: { heads?: unknown }; unet?: { num_heads?: unknown; num_head_channels?: unknown } } | null;
  const textHeads = root?.text_encoder?.heads;
  const unetHeads = root?.unet?.num_heads;
  const unetHeadChannels = root?.unet?.num_head_channels;
  return {
    textHeads: typeof textHeads === 'number' ? textHeads : undefined,
    unetHeads: typeof unetHeads === 'number' && unetHeads > 0 ? unetHeads : undefined,
    unetHeadChannels: typeof unetHeadChannels === 'number' && unetHeadChannels > 0 ? unetHeadChannels : undefined,
  };
}
