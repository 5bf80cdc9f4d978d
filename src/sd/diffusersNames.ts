// Diffusers folder layout → the original single-file (CompVis / AUTOMATIC1111) tensor names
// our graphs use. Written from the layouts themselves (diffusers' UNet2DConditionModel and
// AutoencoderKL module trees vs ldm's UNetModel / Encoder / Decoder), for any number of levels
// and res blocks, not only SD1.5's 4 × 2.

export interface MappedName {
  /** The single-file name, e.g. `model.diffusion_model.input_blocks.1.0.in_layers.0.weight`. */
  original: string;
  /** Set when the original stores the same bytes with another shape (VAE attention: Linear → 1×1 conv). */
  reshapeTo?: (shape: readonly number[]) => number[];
}

const unetResnetNames: Record<string, string> = {
  norm1: 'in_layers.0',
  conv1: 'in_layers.2',
  norm2: 'out_layers.0',
  conv2: 'out_layers.3',
  time_emb_proj: 'emb_layers.1',
  conv_shortcut: 'skip_connection',
};

function renameResnetPart(rest: string, names: Record<string, string>): string {
  const dot = rest.indexOf('.');
  const head = dot < 0 ? rest : rest.slice(0, dot);
  const tail = dot < 0 ? '' : rest.slice(dot);
  return (names[head] ?? head) + tail;
}

/** Facts about the diffusers UNet the index arithmetic needs, read off its key set. */
export interface DiffusersUnetLayout {
  /** Res blocks per down level (diffusers `layers_per_block`); up levels have one more. */
  resBlocksPerLevel: number;
  /** Whether up_blocks.i has attentions (decides where the upsampler sits in output_blocks). */
  upLevelHasAttention: (level: number) => boolean;
}

export function diffusersUnetLayout(names: Iterable<string>): DiffusersUnetLayout {
  let maxResnet = -1;
  const upAttention = new Set<number>();
  for (const name of names) {
    const down = /^down_blocks\.0\.resnets\.(\d+)\./.exec(name);
    if (down) maxResnet = Math.max(maxResnet, Number(down[1]));
    const up = /^up_blocks\.(\d+)\.attentions\./.exec(name);
    if (up) upAttention.add(Number(up[1]));
  }
  if (maxResnet < 0) throw new Error('the diffusers UNet has no `down_blocks.0.resnets.*` tensors');
  return { resBlocksPerLevel: maxResnet + 1, upLevelHasAttention: (level) => upAttention.has(level) };
}

/** A diffusers UNet key (without prefix) → its name under `model.diffusion_model.`. */
export function unetNameFromDiffusers(name: string, layout: DiffusersUnetLayout): string | undefined {
  const n = layout.resBlocksPerLevel;
  const prefix = 'model.diffusion_model.';
  let m: RegExpExecArray | null;
  const fixed: Record<string, string> = {
    'time_embedding.linear_1': 'time_embed.0',
    'time_embedding.linear_2': 'time_embed.2',
    conv_in: 'input_blocks.0.0',
    conv_norm_out: 'out.0',
    conv_out: 'out.2',
  };
  for (const [from, to] of Object.entries(fixed)) {
    if (name.startsWith(from + '.')) return prefix + to + name.slice(from.length);
  }
  if ((m = /^down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)$/.exec(name))) {
    return `${prefix}input_blocks.${Number(m[1]) * (n + 1) + Number(m[2]) + 1}.0.${renameResnetPart(m[3], unetResnetNames)}`;
  }
  if ((m = /^down_blocks\.(\d+)\.attentions\.(\d+)\.(.+)$/.exec(name))) {
    return `${prefix}input_blocks.${Number(m[1]) * (n + 1) + Number(m[2]) + 1}.1.${m[3]}`;
  }
  if ((m = /^down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)$/.exec(name))) {
    return `${prefix}input_blocks.${(Number(m[1]) + 1) * (n + 1)}.0.op.${m[2]}`;
  }
  if ((m = /^mid_block\.resnets\.(\d+)\.(.+)$/.exec(name))) {
    return `${prefix}middle_block.${2 * Number(m[1])}.${renameResnetPart(m[2], unetResnetNames)}`;
  }
  if ((m = /^mid_block\.attentions\.0\.(.+)$/.exec(name))) return `${prefix}middle_block.1.${m[1]}`;
  if ((m = /^up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)$/.exec(name))) {
    return `${prefix}output_blocks.${Number(m[1]) * (n + 1) + Number(m[2])}.0.${renameResnetPart(m[3], unetResnetNames)}`;
  }
  if ((m = /^up_blocks\.(\d+)\.attentions\.(\d+)\.(.+)$/.exec(name))) {
    return `${prefix}output_blocks.${Number(m[1]) * (n + 1) + Number(m[2])}.1.${m[3]}`;
  }
  if ((m = /^up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)$/.exec(name))) {
    const level = Number(m[1]);
    return `${prefix}output_blocks.${level * (n + 1) + n}.${layout.upLevelHasAttention(level) ? 2 : 1}.conv.${m[2]}`;
  }
  return undefined;
}

const vaeAttentionNames: Record<string, string> = {
  group_norm: 'norm',
  to_q: 'q',
  query: 'q',
  to_k: 'k',
  key: 'k',
  to_v: 'v',
  value: 'v',
  'to_out.0': 'proj_out',
  proj_attn: 'proj_out',
};

const toConv1x1 = (shape: readonly number[]): number[] => (shape.length === 2 ? [shape[0], shape[1], 1, 1] : [...shape]);

/** A diffusers VAE key → its name under `first_stage_model.`; `upLevels` = number of decoder up_blocks. */
export function vaeNameFromDiffusers(name: string, upLevels: number): MappedName | undefined {
  const prefix = 'first_stage_model.';
  let m: RegExpExecArray | null;
  if ((m = /^(encoder|decoder)\.(conv_in|conv_out)\.(.+)$/.exec(name))) return { original: prefix + name };
  if ((m = /^(quant_conv|post_quant_conv)\.(.+)$/.exec(name))) return { original: prefix + name };
  if ((m = /^(encoder|decoder)\.conv_norm_out\.(.+)$/.exec(name))) return { original: `${prefix}${m[1]}.norm_out.${m[2]}` };
  const resnet = (rest: string): string => renameResnetPart(rest, { conv_shortcut: 'nin_shortcut' });
  if ((m = /^encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)$/.exec(name))) {
    return { original: `${prefix}encoder.down.${m[1]}.block.${m[2]}.${resnet(m[3])}` };
  }
  if ((m = /^encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)$/.exec(name))) {
    return { original: `${prefix}encoder.down.${m[1]}.downsample.conv.${m[2]}` };
  }
  if ((m = /^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)$/.exec(name))) {
    return { original: `${prefix}decoder.up.${upLevels - 1 - Number(m[1])}.block.${m[2]}.${resnet(m[3])}` };
  }
  if ((m = /^decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)$/.exec(name))) {
    return { original: `${prefix}decoder.up.${upLevels - 1 - Number(m[1])}.upsample.conv.${m[2]}` };
  }
  if ((m = /^(encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.+)$/.exec(name))) {
    return { original: `${prefix}${m[1]}.mid.block_${Number(m[2]) + 1}.${resnet(m[3])}` };
  }
  if ((m = /^(encoder|decoder)\.mid_block\.attentions\.0\.(.+)\.(weight|bias)$/.exec(name))) {
    const part = vaeAttentionNames[m[2]];
    if (!part) return undefined;
    return { original: `${prefix}${m[1]}.mid.attn_1.${part}.${m[3]}`, reshapeTo: part === 'norm' ? undefined : toConv1x1 };
  }
  return undefined;
}

/** A diffusers CLIPTextModel key (`text_model.*`) → its single-file name. */
export function textEncoderNameFromDiffusers(name: string): string | undefined {
  return name.startsWith('text_model.') ? `cond_stage_model.transformer.${name}` : undefined;
}
