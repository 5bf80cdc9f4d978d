// The textual-inversion step as one ONNX graph, built from the SD graph builders: token
// embeddings with the trained vectors placed by a [B, 77·k, n] matrix, the CLIP text encoder
// (CLIP skip) on each of the prompt's k chunks of 77, optional A1111 emphasis (hidden·weights,
// each chunk rescaled to its original mean over the batch, as A1111 does chunk by chunk), the
// chunks concatenated into the UNet's context [B, 77·k, C], the UNet on
// noisy = √ā·x0 + √(1−ā)·noise, loss = mean((eps − noise)²), and d loss / d emb by reverse-mode
// autodiff. Noising coefficients and timestep features come from the host in float64, as the
// reference computes them. Shapes are static, so each chunk count k has its own graph and
// session, built the first time a batch needs it (prompts over 75 tokens or with BREAK); on a GPU
// each session holds its own copy of the weights.
import { join } from 'node:path';
import { grad, type Graph, type NodePlacementReport, type Session, type ProviderChoice } from '../onnx';
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
  /** Called before a graph for a new chunk count is built (it takes a while). */
  onBuildGraph?: (chunks: number) => void;
  onNodePlacement?: (report: NodePlacementReport) => void;
}

export type TiLossGraphOptions = Omit<TiLossSessionOptions, 'provider' | 'cacheDir' | 'onBuildGraph' | 'onNodePlacement'> & {
  /** Chunks of 77 tokens per prompt (default 1). */
  chunks?: number;
};

/** Adds the step's inputs, nodes and outputs (`loss`, `grad`) to `g`. */
export function buildTiLossGraph(g: Graph, weights: CheckpointWeights, options: TiLossGraphOptions): void {
  const { architecture: arch, vectors, batchSize: b, latentHeight: h, latentWidth: w } = options;
  const k = options.chunks ?? 1;
  const text = arch.textEncoder;
  const t = text.positions;
  const emb = g.input('emb', 'float32', [vectors, text.width]);
  const inputIds = g.input('input_ids', 'int64', [b, t * k]);
  const placement = g.input('placement', 'float32', [b, t * k, vectors]);
  const x0 = g.input('x0', 'float32', [b, arch.unet.inChannels, h, w]);
  const noise = g.input('noise', 'float32', [b, arch.unet.inChannels, h, w]);
  const signal = g.input('signal_scale', 'float32', [b, 1, 1, 1]);
  const noiseScale = g.input('noise_scale', 'float32', [b, 1, 1, 1]);
  const timeFeatures = g.input('time_features', 'float32', [b, arch.unet.modelChannels]);
  // each chunk is its own CLIP sequence: [B, 77·k] → [B·k, 77]
  const chunkIds = k === 1 ? inputIds : g.reshape(inputIds, [b * k, t]);
  const chunkPlacement = k === 1 ? placement : g.reshape(placement, [b * k, t, vectors]);
  const tokens = clipTokenEmbeddings(g, weights, text, chunkIds, { emb, placement: chunkPlacement });
  let cond = clipTextHidden(g, weights, text, tokens, [options.clipSkip])[0];
  if (options.emphasis) {
    const tokenWeights = g.input('token_weights', 'float32', [b, t * k, 1]);
    // A1111: per chunk, z·w, then × mean(z)/mean(z·w) over that chunk of every batch row
    const z = g.reshape(cond, [b, k, t, text.width]);
    const weighted = g.mul(z, g.reshape(tokenWeights, [b, k, t, 1]));
    cond = g.mul(weighted, g.div(g.reduceMean(z, [0, 2, 3]), g.reduceMean(weighted, [0, 2, 3])));
  }
  if (k > 1 || options.emphasis) cond = g.reshape(cond, [b, t * k, text.width]);
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

  private readonly sessions = new Map<number, Promise<Session>>();

  private constructor(
    private readonly session: Session,
    private readonly options: TiLossSessionOptions,
  ) {
    this.sessions.set(1, Promise.resolve(session));
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

  /** The ORT session (its adapter and node placement). */
  get ortSession(): Session {
    return this.session;
  }

  static async create(options: TiLossSessionOptions): Promise<TiLossSession> {
    return new TiLossSession(await TiLossSession.createFor(options, 1), options);
  }

  private static createFor(options: TiLossSessionOptions, chunks: number): Promise<Session> {
    const name = `${options.checkpoint.name}.ti-step-${options.batchSize}x${options.latentHeight}x${options.latentWidth}${chunks > 1 ? `-${chunks}chunks` : ''}.onnx`;
    return createCheckpointSession(options.checkpoint, name, (g, weights) => buildTiLossGraph(g, weights, { ...options, chunks }), options);
  }

  /** The session for prompts of `chunks` chunks, built on first use. */
  private sessionFor(chunks: number): Promise<Session> {
    let session = this.sessions.get(chunks);
    if (!session) {
      this.options.onBuildGraph?.(chunks);
      session = TiLossSession.createFor(this.options, chunks);
      this.sessions.set(chunks, session);
      // a failed build is not remembered: the next batch of that size tries again and reports it
      session.catch(() => this.sessions.delete(chunks));
    }
    return session;
  }

  /** Chunk counts whose sessions exist (1 always). */
  get chunkCounts(): number[] {
    return [...this.sessions.keys()].sort((a, b) => a - b);
  }

  /** The feeds for one batch (exported for evaluation code and tests). */
  feeds(batch: TrainingBatch, vectors: Float32Array) {
    const { architecture: arch, vectors: n } = this.options;
    const b = batch.inputIds.length;
    if (b !== this.batchSize) throw new Error(`the step was built for batches of ${this.batchSize}, got ${b}`);
    const length = batch.inputIds[0].length;
    if (length % arch.textEncoder.positions !== 0 || batch.inputIds.some((row) => row.length !== length)) {
      throw new Error(`every prompt of a batch needs the same number of ${arch.textEncoder.positions}-token chunks (got rows of ${batch.inputIds.map((r) => r.length).join(', ')} ids)`);
    }
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
    const feeds = this.feeds(batch, vectors);
    const session = await this.sessionFor(batch.inputIds[0].length / this.options.architecture.textEncoder.positions);
    const out = await session.run(feeds);
    return { loss: Number((out.loss.data as Float32Array)[0]), gradient: Float32Array.from(out.grad.data as Float32Array) };
  }

  async release(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of await Promise.allSettled(sessions)) if (session.status === 'fulfilled') await session.value.release();
  }
}

export function defaultOnnxCacheDir(runDir: string): string {
  return join(runDir, '.onnx-cache');
}
