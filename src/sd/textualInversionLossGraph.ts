// The textual-inversion training step as one graph: the denoising loss of the UNet conditioned
// on the text encoder with the trained vectors injected, and d loss / d vectors by reverse-mode
// autodiff. Only the vectors get a gradient (no weight gradients), so the backward pass is just
// the path vectors → CLIP → cross-attention → loss.
//   noisy = sqrt(a_t)·x0 + sqrt(1-a_t)·noise;  cond = CLIP(ids, emb at placeholders)[clip skip]
//   loss = mean((UNet(noisy, t, cond) - noise)²);  grad = d loss / d emb
// The timestep enters as host-computed values (sqrt(a_t), sqrt(1-a_t), sinusoid features), so one
// graph serves every t and the float64 precision of the schedule and sinusoid is kept.
import { Graph, grad, serializeModel, type HostTensor, type Value } from '../onnx';
import type { Sd1Architecture } from './architecture';
import { clipTextHidden, clipTokenEmbeddings, injectionMatrix } from './clipTextGraph';
import { noisingCoefficients } from './noiseSchedule';
import { timestepFeatures, unetEps } from './unetGraph';
import { CheckpointWeights, type CheckpointWeightsOptions, type WeightSource } from './weights';

export interface TextualInversionLossOptions {
  /** 1 = last layer, 2 = penultimate (A1111 "CLIP skip 2", NovelAI-style anime models). */
  clipSkip: number;
  batch: number;
  latentHeight: number;
  latentWidth: number;
  /** Vectors per token of the embedding being trained. */
  vectors: number;
  /** Also output the intermediate `noisy`, `cond` and `eps` (for locating a mismatch). */
  auxOutputs?: boolean;
}

export const textualInversionInputs = {
  emb: 'emb',
  inputIds: 'input_ids',
  placement: 'placement',
  x0: 'x0',
  noise: 'noise',
  signalScale: 'sqrt_alphas_cumprod',
  noiseScale: 'sqrt_one_minus_alphas_cumprod',
  timeFeatures: 'time_features',
} as const;

export const textualInversionOutputs = { loss: 'loss', grad: 'grad', noisy: 'noisy', cond: 'cond', eps: 'eps' } as const;

export interface TextualInversionLossModel {
  /** The serialised ONNX model; its initialisers point into the checkpoint (see weights.externalFiles()). */
  bytes: Uint8Array;
  weights: CheckpointWeights;
  inputNames: readonly string[];
  outputNames: readonly string[];
}

export function buildTextualInversionLossGraph(
  source: WeightSource,
  arch: Sd1Architecture,
  options: TextualInversionLossOptions,
  weightOptions: CheckpointWeightsOptions = {},
): TextualInversionLossModel {
  const { batch, vectors } = options;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch size ${batch} must be a positive integer.`);
  if (!Number.isInteger(vectors) || vectors < 1) throw new Error(`vectors per token ${vectors} must be a positive integer.`);
  const g = new Graph('textual_inversion_loss');
  const weights = new CheckpointWeights(g, source, weightOptions);
  const te = arch.textEncoder;
  const unet = arch.unet;
  const latentShape = [batch, unet.inChannels, options.latentHeight, options.latentWidth];
  const names = textualInversionInputs;

  const emb = g.input(names.emb, 'float32', [vectors, te.width]);
  const inputIds = g.input(names.inputIds, 'int64', [batch, te.positions]);
  const placement = g.input(names.placement, 'float32', [batch, te.positions, vectors]);
  const x0 = g.input(names.x0, 'float32', latentShape);
  const noise = g.input(names.noise, 'float32', latentShape);
  const signalScale = g.input(names.signalScale, 'float32', [batch, 1, 1, 1]);
  const noiseScale = g.input(names.noiseScale, 'float32', [batch, 1, 1, 1]);
  const timeFeatures = g.input(names.timeFeatures, 'float32', [batch, unet.modelChannels]);

  const noisy = g.add(g.mul(signalScale, x0), g.mul(noiseScale, noise));
  const tokens = clipTokenEmbeddings(g, weights, te, inputIds, { emb, placement });
  const [cond] = clipTextHidden(g, weights, te, tokens, [options.clipSkip]);
  const eps = unetEps(g, weights, unet, noisy, timeFeatures, cond);
  const difference = g.sub(eps, noise);
  const loss = g.reshape(g.reduceMean(g.mul(difference, difference)), [1]);
  const [dEmb] = grad(g, loss, [emb]);

  const outs = textualInversionOutputs;
  g.output(loss, outs.loss);
  g.output(dEmb, outs.grad);
  if (options.auxOutputs) {
    g.output(noisy, outs.noisy);
    g.output(cond, outs.cond);
    g.output(eps, outs.eps);
  }
  return {
    bytes: serializeModel(g),
    weights,
    inputNames: g.inputs.map((v: Value) => v.name),
    outputNames: g.outputs.map((v: Value) => v.name),
  };
}

export interface TextualInversionStep {
  /** [vectors × width] float32. */
  emb: Float32Array;
  /** [B × positions] token ids (BOS, tokens, EOS, padding), placeholders included. */
  inputIds: BigInt64Array;
  /** Per batch row, where emb[0], emb[1], … go (sequence positions). */
  placeholderPositions: readonly (readonly number[])[];
  /** [B × C × h × w] latents already multiplied by 0.18215. */
  x0: Float32Array;
  noise: Float32Array;
  /** One integer timestep per batch row. */
  timesteps: readonly number[];
  alphasCumprod: Float64Array;
}

/** The feeds of a TI loss model for one step (schedule and sinusoid evaluated in float64). */
export function textualInversionFeeds(arch: Sd1Architecture, options: Pick<TextualInversionLossOptions, 'batch' | 'vectors' | 'latentHeight' | 'latentWidth'>, step: TextualInversionStep): Record<string, HostTensor> {
  const { batch, vectors } = options;
  const positions = arch.textEncoder.positions;
  if (step.timesteps.length !== batch || step.placeholderPositions.length !== batch) {
    throw new Error(`a step needs ${batch} timesteps and ${batch} placeholder position lists (one per batch row).`);
  }
  const latentShape = [batch, arch.unet.inChannels, options.latentHeight, options.latentWidth];
  const signal = new Float32Array(batch);
  const noiseScale = new Float32Array(batch);
  step.timesteps.forEach((t, b) => {
    const c = noisingCoefficients(step.alphasCumprod, t);
    signal[b] = c.signal;
    noiseScale[b] = c.noise;
  });
  const names = textualInversionInputs;
  return {
    [names.emb]: { dtype: 'float32', shape: [vectors, arch.textEncoder.width], data: step.emb },
    [names.inputIds]: { dtype: 'int64', shape: [batch, positions], data: step.inputIds },
    [names.placement]: { dtype: 'float32', shape: [batch, positions, vectors], data: injectionMatrix(step.placeholderPositions, vectors, positions) },
    [names.x0]: { dtype: 'float32', shape: latentShape, data: step.x0 },
    [names.noise]: { dtype: 'float32', shape: latentShape, data: step.noise },
    [names.signalScale]: { dtype: 'float32', shape: [batch, 1, 1, 1], data: signal },
    [names.noiseScale]: { dtype: 'float32', shape: [batch, 1, 1, 1], data: noiseScale },
    [names.timeFeatures]: { dtype: 'float32', shape: [batch, arch.unet.modelChannels], data: timestepFeatures(step.timesteps, arch.unet.modelChannels) },
  };
}
