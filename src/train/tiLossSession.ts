// The textual-inversion step as one ONNX graph, built once per run from the SD graph builders:
// token embeddings with the trained vectors placed by a [B, 77, n] matrix, the CLIP text
// encoder (CLIP skip), optional A1111 emphasis (hidden·weights, rescaled to the original mean),
// the UNet on noisy = √ā·x0 + √(1−ā)·noise, loss = mean((eps − noise)²), and d loss / d emb by
// reverse-mode autodiff. Noising coefficients and timestep features come from the host in
// float64, as the reference computes them.
import { join } from 'node:path';
import { grad, type Graph, type Session, type ProviderChoice } from '../onnx';
import type { Sd1Architecture } from '../sd/architecture';
import type { Checkpoint } from '../sd/checkpoint';
import { clipTokenEmbeddings, clipTextHidden } from '../sd/clipTextGraph';
import { noisingCoefficients } from '../sd/noiseSchedule';
import { timestepFeatures, unetEps } from '../sd/unetGraph';
import type { CheckpointWeights } from '../sd/weights';
import { createCheckpointSession } from './checkpointSession';
import type { TextualInversionStep, TrainingBatch, TrainingStepResult } from './trainingStep';

export interface TiLossSessionOptions {
  checkpoint: Checkpoint;
  architecture: Sd1Architecture;
  alphasCumprod: Float64Array;
  vectors: number;
  batchSize: number;
  latentHeight: number;
  latentWidth: number;
  clipSkip: number;
  emphasis: boolean;
  provider: ProviderChoice;
  /** Where to put the .onnx when the checkpoint's folder is not writable (same drive). */
  cacheDir: string;
  intraOpThreads?: number;
  disablePrepacking?: boolean;
  disableCpuMemArena?: boolean;
}

/** Adds the step's inputs, nodes and outputs (`loss`, `grad`) to `g`. */
export function buildTiLossGraph(g: Graph, weights: CheckpointWeights, options: Omit<TiLossSessionOptions, 'provider' | 'cacheDir'>): void {
  const { architecture: arch, vectors, batchSize: b, latentHeight: h, latentWidth: w } = options;
  const text = arch.textEncoder;
  const emb = g.input('emb', 'float32', [vectors, text.width]);
  const inputIds = g.input('input_ids', 'int64', [b, text.positions]);
  const placement = g.input('placement', 'float32', [b, text.positions, vectors]);
  const x0 = g.input('x0', 'float32', [b, arch.unet.inChannels, h, w]);
  const noise = g.input('noise', 'float32', [b, arch.unet.inChannels, h, w]);
  const signal = g.input('signal_scale', 'float32', [b, 1, 1, 1]);
  const noiseScale = g.input('noise_scale', 'float32', [b, 1, 1, 1]);
  const timeFeatures = g.input('time_features', 'float32', [b, arch.unet.modelChannels]);
  const tokens = clipTokenEmbeddings(g, weights, text, inputIds, { emb, placement });
  let cond = clipTextHidden(g, weights, text, tokens, [options.clipSkip])[0];
  if (options.emphasis) {
    const tokenWeights = g.input('token_weights', 'float32', [b, text.positions, 1]);
    const weighted = g.mul(cond, tokenWeights);
    // A1111: z·w, then × mean(z)/mean(z·w) over the whole batch tensor
    cond = g.mul(weighted, g.div(g.reduceMean(cond), g.reduceMean(weighted)));
  }
  const noisy = g.add(g.mul(x0, signal), g.mul(noise, noiseScale));
  const eps = unetEps(g, weights, arch.unet, noisy, timeFeatures, cond);
  const diff = g.sub(eps, noise);
  const loss = g.reduceMean(g.mul(diff, diff), undefined, false);
  const [gradient] = grad(g, loss, [emb]);
  g.output(loss, 'loss');
  g.output(gradient, 'grad');
}

export class TiLossSession implements TextualInversionStep {
  readonly latentHeight: number;
  readonly latentWidth: number;
  readonly batchSize: number;

  private constructor(
    private readonly session: Session,
    private readonly options: TiLossSessionOptions,
  ) {
    this.latentHeight = options.latentHeight;
    this.latentWidth = options.latentWidth;
    this.batchSize = options.batchSize;
  }

  get provider(): string {
    return this.session.provider;
  }

  get providerNotes(): readonly string[] {
    return this.session.providerNotes;
  }

  static async create(options: TiLossSessionOptions): Promise<TiLossSession> {
    const name = `${options.checkpoint.name}.ti-step-${options.batchSize}x${options.latentHeight}x${options.latentWidth}.onnx`;
    const session = await createCheckpointSession(options.checkpoint, name, (g, weights) => buildTiLossGraph(g, weights, options), options);
    return new TiLossSession(session, options);
  }

  /** The feeds for one batch (exported for evaluation code and tests). */
  feeds(batch: TrainingBatch, vectors: Float32Array) {
    const { architecture: arch, vectors: n } = this.options;
    const b = batch.inputIds.length;
    if (b !== this.batchSize) throw new Error(`the step was built for batches of ${this.batchSize}, got ${b}`);
    const length = arch.textEncoder.positions;
    const placement = new Float32Array(b * length * n);
    batch.slots.forEach((slots, row) => {
      for (const [position, i] of slots) placement[(row * length + position) * n + i] = 1;
    });
    const signal = new Float32Array(b);
    const noiseScale = new Float32Array(b);
    batch.timesteps.forEach((t, row) => {
      const c = noisingCoefficients(this.options.alphasCumprod, t);
      signal[row] = c.signal;
      noiseScale[row] = c.noise;
    });
    const latentShape = [b, arch.unet.inChannels, this.latentHeight, this.latentWidth];
    const feeds: Record<string, { dtype: 'float32' | 'int64'; shape: number[]; data: Float32Array | BigInt64Array }> = {
      emb: { dtype: 'float32', shape: [n, arch.textEncoder.width], data: vectors },
      input_ids: { dtype: 'int64', shape: [b, length], data: BigInt64Array.from(batch.inputIds.flat(), (v) => BigInt(v)) },
      placement: { dtype: 'float32', shape: [b, length, n], data: placement },
      x0: { dtype: 'float32', shape: latentShape, data: batch.latents },
      noise: { dtype: 'float32', shape: latentShape, data: batch.noise },
      signal_scale: { dtype: 'float32', shape: [b, 1, 1, 1], data: signal },
      noise_scale: { dtype: 'float32', shape: [b, 1, 1, 1], data: noiseScale },
      time_features: { dtype: 'float32', shape: [b, arch.unet.modelChannels], data: timestepFeatures(batch.timesteps, arch.unet.modelChannels) },
    };
    if (this.options.emphasis) feeds.token_weights = { dtype: 'float32', shape: [b, length, 1], data: Float32Array.from(batch.weights.flat()) };
    return feeds;
  }

  async run(batch: TrainingBatch, vectors: Float32Array): Promise<TrainingStepResult> {
    const out = await this.session.run(this.feeds(batch, vectors));
    return { loss: Number((out.loss.data as Float32Array)[0]), gradient: Float32Array.from(out.grad.data as Float32Array) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export function defaultOnnxCacheDir(runDir: string): string {
  return join(runDir, '.onnx-cache');
}
