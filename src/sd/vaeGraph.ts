// The SD1 VAE (ldm AutoencoderKL): encoder + quant_conv → (mean, logvar), post_quant_conv +
// decoder → image. Latent scaling by 0.18215 is left to callers (latentScaleFactor).
import type { Graph, Value } from '../onnx';
import type { VaeArchitecture } from './architecture';
import type { CheckpointWeights } from './weights';

const groups = 32;
const eps = 1e-6; // ldm model.Normalize: GroupNorm(32, eps=1e-6) throughout the VAE

/** SD1's latent scale: the UNet sees vae_mean · 0.18215. */
export const latentScaleFactor = 0.18215;

class VaeBuilder {
  constructor(
    private readonly g: Graph,
    private readonly weights: CheckpointWeights,
    private readonly arch: VaeArchitecture,
  ) {}

  private w(name: string): Value {
    return this.weights.get(`${this.arch.prefix}${name}`);
  }

  has(name: string): boolean {
    return this.weights.has(`${this.arch.prefix}${name}`);
  }

  conv(x: Value, name: string, options: { stride?: number; pad?: number } = {}): Value {
    const weight = this.w(`${name}.weight`);
    const pad = options.pad ?? (weight.shape[2] - 1) / 2;
    const stride = options.stride ?? 1;
    return this.g.conv(x, weight, this.w(`${name}.bias`), { strides: [stride, stride], pads: [pad, pad, pad, pad] });
  }

  norm(x: Value, name: string): Value {
    return this.g.groupNorm(x, this.w(`${name}.weight`), this.w(`${name}.bias`), groups, eps);
  }

  resnetBlock(x: Value, name: string): Value {
    const g = this.g;
    let h = this.conv(g.silu(this.norm(x, `${name}.norm1`)), `${name}.conv1`);
    h = this.conv(g.silu(this.norm(h, `${name}.norm2`)), `${name}.conv2`);
    const skip = this.has(`${name}.nin_shortcut.weight`) ? this.conv(x, `${name}.nin_shortcut`) : x;
    return g.add(skip, h);
  }

  /** Single-head self-attention over all pixels, q/k/v as 1x1 convolutions. */
  attnBlock(x: Value, name: string): Value {
    const g = this.g;
    const [batch, channels, height, width] = x.shape;
    const h = this.norm(x, `${name}.norm`);
    const flat = (v: Value) => g.reshape(v, [batch, channels, height * width]);
    const q = g.transpose(flat(this.conv(h, `${name}.q`)), [0, 2, 1]); // [B, HW, C]
    const k = flat(this.conv(h, `${name}.k`)); // [B, C, HW]
    const v = flat(this.conv(h, `${name}.v`));
    const weightsIJ = g.softmax(g.mul(g.matMul(q, k), g.scalar(1 / Math.sqrt(channels), x.dtype)), -1); // [B, HWq, HWk]
    const attended = g.matMul(v, g.transpose(weightsIJ, [0, 2, 1])); // [B, C, HWq]
    return g.add(x, this.conv(g.reshape(attended, [batch, channels, height, width]), `${name}.proj_out`));
  }

  /** Optional per-level attention blocks (`attn.j`; SD1 has none outside the middle). */
  maybeAttn(h: Value, name: string): Value {
    return this.has(`${name}.norm.weight`) ? this.attnBlock(h, name) : h;
  }

  middle(h: Value, side: string): Value {
    h = this.resnetBlock(h, `${side}.mid.block_1`);
    h = this.attnBlock(h, `${side}.mid.attn_1`);
    return this.resnetBlock(h, `${side}.mid.block_2`);
  }
}

/** moments = quant_conv(encoder(image)); mean, logvar (clamped to [-30, 20]). image [B,3,H,W] in [-1,1]. */
export function vaeEncode(g: Graph, weights: CheckpointWeights, arch: VaeArchitecture, image: Value): { mean: Value; logvar: Value } {
  if (image.shape[2] % arch.downscale !== 0 || image.shape[3] % arch.downscale !== 0) {
    throw new Error(`VAE encode: image ${image.shape[2]}×${image.shape[3]} px must be a multiple of ${arch.downscale} in both directions.`);
  }
  const vae = new VaeBuilder(g, weights, arch);
  let h = vae.conv(image, 'encoder.conv_in');
  arch.chMult.forEach((_, level) => {
    for (let j = 0; j < arch.numResBlocks; j++) {
      h = vae.resnetBlock(h, `encoder.down.${level}.block.${j}`);
      h = vae.maybeAttn(h, `encoder.down.${level}.attn.${j}`);
    }
    if (level < arch.chMult.length - 1) {
      // ldm Downsample: pad right and bottom by one, then a 3x3 stride-2 conv without padding.
      h = vae.conv(g.padZeros(h, [0, 0, 0, 0, 0, 0, 1, 1]), `encoder.down.${level}.downsample.conv`, { stride: 2, pad: 0 });
    }
  });
  h = vae.middle(h, 'encoder');
  h = vae.conv(g.silu(vae.norm(h, 'encoder.norm_out')), 'encoder.conv_out');
  const moments = vae.conv(h, 'quant_conv');
  const half = moments.shape[1] / 2;
  const [mean, rawLogvar] = g.split(moments, [half, half], 1);
  const logvar = g.addNode('Clip', [rawLogvar, g.scalar(-30, 'float32'), g.scalar(20, 'float32')], [{ dtype: rawLogvar.dtype, shape: rawLogvar.shape }])[0];
  return { mean, logvar };
}

/** image = decoder(post_quant_conv(z)); z [B, embed_dim, h, w] is latent / 0.18215. No clamping. */
export function vaeDecode(g: Graph, weights: CheckpointWeights, arch: VaeArchitecture, z: Value): Value {
  const vae = new VaeBuilder(g, weights, arch);
  let h = vae.conv(vae.conv(z, 'post_quant_conv'), 'decoder.conv_in');
  h = vae.middle(h, 'decoder');
  for (let level = arch.chMult.length - 1; level >= 0; level--) {
    for (let j = 0; j <= arch.numResBlocks; j++) {
      h = vae.resnetBlock(h, `decoder.up.${level}.block.${j}`);
      h = vae.maybeAttn(h, `decoder.up.${level}.attn.${j}`);
    }
    if (level > 0) h = vae.conv(g.resizeNearest2x(h), `decoder.up.${level}.upsample.conv`);
  }
  return vae.conv(g.silu(vae.norm(h, 'decoder.norm_out')), 'decoder.conv_out');
}
