// The SD1 UNet (ldm openaimodel.UNetModel with SpatialTransformer), built level by level from
// the inferred architecture; tensor names are ldm's, so a missing one fails with its name.
// The sinusoidal timestep features are computed on the host in float64 (t up to 999 times a
// frequency: float32 sin/cos of such arguments would lose the fixtures' precision).
import type { Graph, Value } from '../onnx';
import { unetHeadsAt, type UnetArchitecture } from './architecture';
import { linear, multiHeadAttention } from './transformerLayers';
import type { CheckpointWeights } from './weights';

const groups = 32;
const resBlockEps = 1e-5; // ldm normalization(): GroupNorm32 with torch's default eps
const transformerNormEps = 1e-6; // attention.Normalize
const layerNormEps = 1e-5;

/** cat(cos(t·f), sin(t·f)), f_i = exp(-ln(10000)·i/half), in float64, for each timestep: [B, dim]. */
export function timestepFeatures(timesteps: readonly number[], dim: number): Float32Array {
  const half = Math.floor(dim / 2);
  const out = new Float32Array(timesteps.length * dim); // odd dim: last column stays zero, as ldm pads
  timesteps.forEach((t, b) => {
    for (let i = 0; i < half; i++) {
      const angle = t * Math.exp((-Math.log(10000) * i) / half);
      out[b * dim + i] = Math.cos(angle);
      out[b * dim + half + i] = Math.sin(angle);
    }
  });
  return out;
}

class UnetBuilder {
  constructor(
    private readonly g: Graph,
    private readonly weights: CheckpointWeights,
    private readonly arch: UnetArchitecture,
  ) {}

  private w(name: string): Value {
    return this.weights.get(`${this.arch.prefix}${name}`);
  }

  private conv(x: Value, name: string, stride = 1): Value {
    const weight = this.w(`${name}.weight`);
    const pad = (weight.shape[2] - 1) / 2;
    return this.g.conv(x, weight, this.w(`${name}.bias`), { strides: [stride, stride], pads: [pad, pad, pad, pad] });
  }

  private groupNorm(x: Value, name: string, eps: number): Value {
    return this.g.groupNorm(x, this.w(`${name}.weight`), this.w(`${name}.bias`), groups, eps);
  }

  /** ResBlock: in_layers (GN, SiLU, conv), + emb_layers (SiLU, Linear), out_layers (GN, SiLU, conv), skip. */
  resBlock(x: Value, embSilu: Value, name: string): Value {
    const g = this.g;
    let h = this.conv(g.silu(this.groupNorm(x, `${name}.in_layers.0`, resBlockEps)), `${name}.in_layers.2`);
    const embOut = linear(g, this.weights, embSilu, `${this.arch.prefix}${name}.emb_layers.1`);
    h = g.add(h, g.unsqueeze(embOut, [2, 3]));
    h = this.conv(g.silu(this.groupNorm(h, `${name}.out_layers.0`, resBlockEps)), `${name}.out_layers.3`);
    const skip = this.weights.has(`${this.arch.prefix}${name}.skip_connection.weight`) ? this.conv(x, `${name}.skip_connection`) : x;
    return g.add(skip, h);
  }

  /** SpatialTransformer: GN, proj_in, transformer blocks (self-attn, cross-attn, GEGLU FF), proj_out, residual. */
  spatialTransformer(x: Value, context: Value, name: string): Value {
    const g = this.g;
    const [batch, channels, height, width] = x.shape;
    const heads = unetHeadsAt(this.arch, channels);
    const full = `${this.arch.prefix}${name}`;
    const toTokens = (v: Value) => g.transpose(g.reshape(v, [batch, v.shape[1], height * width]), [0, 2, 1]);
    const toImage = (v: Value) => g.reshape(g.transpose(v, [0, 2, 1]), [batch, v.shape[2], height, width]);
    let h = this.groupNorm(x, `${name}.norm`, transformerNormEps);
    h = this.arch.linearProjection ? linear(g, this.weights, toTokens(h), `${full}.proj_in`) : toTokens(this.conv(h, `${name}.proj_in`));
    const depth = countBlocks(this.weights, `${full}.transformer_blocks.`);
    for (let d = 0; d < depth; d++) {
      const b = `${full}.transformer_blocks.${d}`;
      const ln = (v: Value, n: string) => g.layerNorm(v, this.weights.get(`${b}.${n}.weight`), this.weights.get(`${b}.${n}.bias`), -1, layerNormEps);
      const attention = (query: Value, keys: Value, n: string) => {
        const q = linear(g, this.weights, query, `${b}.${n}.to_q`, false);
        const k = linear(g, this.weights, keys, `${b}.${n}.to_k`, false);
        const v = linear(g, this.weights, keys, `${b}.${n}.to_v`, false);
        return linear(g, this.weights, multiHeadAttention(g, q, k, v, heads), `${b}.${n}.to_out.0`);
      };
      const n1 = ln(h, 'norm1');
      h = g.add(h, attention(n1, n1, 'attn1'));
      h = g.add(h, attention(ln(h, 'norm2'), context, 'attn2'));
      // GEGLU: proj → (value, gate) halves; value · gelu(gate) with exact (erf) GELU.
      const projected = linear(g, this.weights, ln(h, 'norm3'), `${b}.ff.net.0.proj`);
      const inner = projected.shape[2] / 2;
      const [value, gate] = g.split(projected, [inner, inner], 2);
      h = g.add(h, linear(g, this.weights, g.mul(value, g.gelu(gate)), `${b}.ff.net.2`));
    }
    const out = this.arch.linearProjection ? toImage(linear(g, this.weights, h, `${full}.proj_out`)) : this.conv(toImage(h), `${name}.proj_out`);
    return g.add(out, x);
  }

  build(x: Value, timeFeatures: Value, context: Value): Value {
    const g = this.g;
    const arch = this.arch;
    const p = arch.prefix;
    const emb = linear(g, this.weights, g.silu(linear(g, this.weights, timeFeatures, `${p}time_embed.0`)), `${p}time_embed.2`);
    const embSilu = g.silu(emb);

    let h = this.conv(x, 'input_blocks.0.0');
    const skips: Value[] = [h];
    let block = 1;
    arch.levels.forEach((level, index) => {
      for (let r = 0; r < arch.numResBlocks; r++) {
        h = this.resBlock(h, embSilu, `input_blocks.${block}.0`);
        if (level.attention) h = this.spatialTransformer(h, context, `input_blocks.${block}.1`);
        skips.push(h);
        block++;
      }
      if (index < arch.levels.length - 1) {
        h = this.conv(h, `input_blocks.${block}.0.op`, 2);
        skips.push(h);
        block++;
      }
    });

    h = this.resBlock(h, embSilu, 'middle_block.0');
    h = this.spatialTransformer(h, context, 'middle_block.1');
    h = this.resBlock(h, embSilu, 'middle_block.2');

    block = 0;
    for (let index = arch.levels.length - 1; index >= 0; index--) {
      const level = arch.levels[index];
      for (let r = 0; r <= arch.numResBlocks; r++) {
        h = g.concat([h, skips.pop()!], 1);
        h = this.resBlock(h, embSilu, `output_blocks.${block}.0`);
        let part = 1;
        if (level.attention) h = this.spatialTransformer(h, context, `output_blocks.${block}.${part++}`);
        if (index > 0 && r === arch.numResBlocks) h = this.conv(g.resizeNearest2x(h), `output_blocks.${block}.${part}.conv`);
        block++;
      }
    }
    return this.conv(g.silu(this.groupNorm(h, 'out.0', resBlockEps)), 'out.2');
  }
}

function countBlocks(weights: CheckpointWeights, prefix: string): number {
  let n = 0;
  while (weights.has(`${prefix}${n}.norm1.weight`)) n++;
  return n;
}

/**
 * eps = UNet(x, t, context). x [B, in, H, W] (H, W divisible by 2^(levels-1)), timeFeatures
 * [B, model_channels] from timestepFeatures(), context [B, T, context_dim] → [B, out, H, W].
 */
export function unetEps(g: Graph, weights: CheckpointWeights, arch: UnetArchitecture, x: Value, timeFeatures: Value, context: Value): Value {
  const factor = 2 ** (arch.levels.length - 1);
  if (x.shape[2] % factor !== 0 || x.shape[3] % factor !== 0) {
    throw new Error(`UNet input ${x.shape[2]}×${x.shape[3]} latents: height and width must be multiples of ${factor} (images multiples of ${factor * 8} px).`);
  }
  if (context.shape[2] !== arch.contextDim) throw new Error(`UNet context width ${context.shape[2]} does not match the model's ${arch.contextDim}.`);
  return new UnetBuilder(g, weights, arch).build(x, timeFeatures, context);
}
