// The training loop: A1111's textual-inversion loop (modules/textual_inversion/
// textual_inversion.py, train_embedding) over our parts. Each image's prompt is a template line
// drawn once for the run (A1111's dataset), or, with tag shuffle or drop-out, a new line and new
// tags every time the image is used. Per optimiser step: for each of the gradient-accumulation
// batches, take the next images of the shuffled epoch and their prompts (`[name]`/`[filewords]`
// filled, chunked as A1111 chunks them), draw a timestep in [0, 1000) and Gaussian noise, run the
// loss+gradient step and add gradient/N;
// then clip, AdamW at the schedule's rate, log, save and preview on their steps.
// Every random draw comes from one seeded generator in a fixed order, and its state is saved
// with the run state: stop at N and resume gives the run that never stopped.
import { mkdirSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { TrainerEvent, TrainerCommand } from '../protocol/trainerMessages';
import type { RunConfig } from './config';
import { augmentCaptionTags, shuffleInPlace } from './captionTags';
import { clipGradientInPlace } from './gradientClipping';
import { learningRateAt, nextLowerLearningRate, parseLearningRateSchedule, type LearningRateSchedule } from './learningRateSchedule';
import type { LatentCache } from './latentCache';
import { LossLog } from './lossLog';
import { LossMonitor, defaultLossMonitorOptions, type LossMonitorOptions, type LossMonitorState } from './lossMonitor';
import { adamWStep, type AdamWState } from './optimizer';
import { choosePromptLine, fillPromptTemplate, type PromptTemplate } from './promptTemplates';
import type { UniformSource } from './randomSource';
import { readRunState, runStateFileName, writeRunState, type RunHistory } from './runState';
import { encodeTrainingPrompt, padToChunks, type EncodedPrompt, type PromptTokenizer } from './trainingPrompt';
import type { TextualInversionStep, TrainingBatch } from './trainingStep';
import { readEmbeddingFile, writeEmbeddingPt, writeEmbeddingSafetensors, type Embedding } from './embeddingFile';

/** The seeded generator the loop draws from; its state goes into the run state. */
export interface TrainingRandom extends UniformSource {
  normal(): number;
  saveState(): unknown;
  restoreState(state: unknown): void;
}

export interface PreviewRenderer {
  /** Renders the previews of `step` with these vectors; returns the preview events it produced. */
  render(step: number, vectors: Float32Array, learningRate: number): Promise<Extract<TrainerEvent, { type: 'preview' }>[]>;
  /**
   * Resuming: the previews written at `step` (as the PNG files hold them) become the ones the
   * next previews are compared with, as if they had just been rendered.
   */
  restorePrevious?(step: number): Promise<void>;
  release?(): Promise<void>;
}

export interface TrainingLoopOptions {
  config: RunConfig;
  runDir: string;
  step: TextualInversionStep;
  tokenizer: PromptTokenizer;
  template: PromptTemplate;
  latents: LatentCache;
  captions: string[];
  random: TrainingRandom;
  /** Starting embedding (ignored when a run state is resumed). */
  embedding: Embedding;
  optimizer: AdamWState;
  startStep: number;
  emit: (event: TrainerEvent) => void;
  preview?: PreviewRenderer;
  monitor?: LossMonitorOptions;
  /** Called between steps: commands that arrived (pause, stop, …). */
  nextCommand?: () => TrainerCommand | undefined;
  /** Resolves when a command arrives while paused. */
  waitForCommand?: () => Promise<TrainerCommand>;
  /**
   * The embedding RMS beyond which an update counts as an explosion (a learning rate far out of
   * range): the update is undone and the run treated as diverged. Kept in the run state.
   */
  explosionLimit?: number;
}

export interface LoopResult {
  reason: 'completed' | 'stopped' | 'diverged' | 'schedule-ended';
  step: number;
  embeddingPath: string | null;
  bestLoss: number | null;
}

/** The data order state that must survive a resume along with the generator. */
interface DataOrder {
  permutation: number[];
  /** Batches taken from `permutation` so far. */
  taken: number;
}

export class TrainingLoop {
  private readonly config: RunConfig;
  private vectors: Float32Array;
  private optimizer: AdamWState;
  private stepsDone: number;
  private schedule: LearningRateSchedule;
  private clipSchedule: LearningRateSchedule | null;
  private order: DataOrder = { permutation: [], taken: 0 };
  private readonly monitor: LossMonitor;
  private readonly lossLog: LossLog;
  private pendingRows: { step: number; loss: number; learnRate: number }[] = [];
  private bestLoss: number | null = null;
  private lastSavedPath: string | null = null;
  /** The step the run began at, over all its resumes (best-loss bookkeeping counts from it). */
  private firstStep: number;
  private explosionLimit: number;
  private restored = false;
  private readonly embeddingsDir: string;
  private readonly batchesPerEpoch: number;
  private readonly stepsPerEpoch: number;
  /** Each image's prompt for the whole run, when tags are neither shuffled nor dropped (A1111's dataset). */
  private readonly fixedPrompts: string[] | null;

  constructor(private readonly o: TrainingLoopOptions) {
    this.config = o.config;
    this.vectors = Float32Array.from(o.embedding.vectors);
    this.optimizer = o.optimizer;
    this.stepsDone = o.startStep;
    this.firstStep = o.startStep;
    this.explosionLimit = o.explosionLimit ?? Number.POSITIVE_INFINITY;
    const n = o.latents.size;
    if (n < this.config.batchSize) throw new Error(`the dataset has ${n} image(s), fewer than the batch size ${this.config.batchSize}; lower --batch-size`);
    this.batchesPerEpoch = Math.floor(n / this.config.batchSize);
    this.stepsPerEpoch = Math.max(1, Math.floor(this.batchesPerEpoch / this.config.gradientAccumulation));
    this.schedule = parseLearningRateSchedule(this.config.learnRate, this.config.maxSteps, this.stepsDone);
    this.clipSchedule = this.config.clipGradMode === 'disabled' ? null : parseLearningRateSchedule(this.config.clipGradValue, this.config.maxSteps, this.stepsDone, 'gradient clipping value');
    this.monitor = new LossMonitor(o.monitor ?? defaultLossMonitorOptions);
    // A1111 picks each image's template line once, when it builds the dataset, unless tag shuffle
    // or drop-out is on (then every step builds a new prompt). Drawn before a resumed run restores
    // the generator, so a resumed run has the lines of the run it continues.
    const perStep = this.config.shuffleTags || this.config.tagDropOut !== 0;
    this.fixedPrompts = perStep ? null : o.captions.map((caption) => fillPromptTemplate(choosePromptLine(o.template, o.random), this.config.name, caption));
    this.embeddingsDir = join(o.runDir, 'embeddings');
    mkdirSync(this.embeddingsDir, { recursive: true });
    mkdirSync(join(o.runDir, 'images'), { recursive: true });
    // Rows after the starting step are dropped when a run state is restored (see restore()).
    this.lossLog = new LossLog(join(o.runDir, 'textual_inversion_loss.csv'), this.stepsPerEpoch);
  }

  get currentVectors(): Float32Array {
    return this.vectors;
  }

  get step(): number {
    return this.stepsDone;
  }

  /** Restores embedding, optimiser, step, generator and data order from a run state file. */
  restore(path: string): void {
    const state = readRunState(path);
    if (state.count * state.width !== this.vectors.length) {
      throw new Error(`${path}: the saved embedding is ${state.count}×${state.width} but this run has ${this.o.embedding.count}×${this.o.embedding.width}; resume with the same --vectors and model`);
    }
    this.vectors = state.vectors;
    this.optimizer = state.optimizer;
    this.stepsDone = state.step;
    const saved = state.random as { generator: unknown; order: DataOrder };
    this.o.random.restoreState(saved.generator);
    this.order = { permutation: [...saved.order.permutation], taken: saved.order.taken };
    this.config.learnRate = state.learnRate;
    this.schedule = parseLearningRateSchedule(state.learnRate, this.config.maxSteps, this.stepsDone);
    if (this.clipSchedule) this.clipSchedule = parseLearningRateSchedule(this.config.clipGradValue, this.config.maxSteps, this.stepsDone, 'gradient clipping value');
    if (state.history) this.restoreHistory(state.history, path);
    else this.o.emit({ type: 'log', level: 'info', message: `${path} predates saved loss histories: the moving average and the rollback candidates start afresh from step ${state.step}` });
    this.lossLog.truncateAfter(this.stepsDone);
    this.lossLog.flush();
    this.restored = true;
  }

  private restoreHistory(history: RunHistory, path: string): void {
    const monitor = history.monitor as LossMonitorState;
    const saved = Array.isArray(monitor?.saved) ? monitor.saved.map((e) => ({ ...e, path: typeof e?.path === 'string' ? this.fromRunFolder(e.path) : e?.path })) : monitor?.saved;
    this.monitor.restoreState({ ...monitor, saved }, path);
    this.bestLoss = history.bestLoss;
    this.firstStep = history.firstStep;
    this.lastSavedPath = history.lastSaved === null ? null : this.fromRunFolder(history.lastSaved);
    this.explosionLimit = history.explosionLimit;
  }

  private history(): RunHistory {
    const monitor = this.monitor.saveState();
    return {
      firstStep: this.firstStep,
      bestLoss: this.bestLoss,
      lastSaved: this.lastSavedPath === null ? null : this.inRunFolder(this.lastSavedPath),
      monitor: { ...monitor, saved: monitor.saved.map((e) => ({ ...e, path: this.inRunFolder(e.path) })) },
      // JSON has no Infinity: no limit is stored as the largest float
      explosionLimit: Number.isFinite(this.explosionLimit) ? this.explosionLimit : Number.MAX_VALUE,
    };
  }

  /** Paths in the run state are relative to the run folder, so a moved run folder still resumes. */
  private inRunFolder(path: string): string {
    const rel = relative(this.o.runDir, path);
    return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split('\\').join('/');
  }

  private fromRunFolder(path: string): string {
    return isAbsolute(path) ? path : join(this.o.runDir, path);
  }

  private nextImages(): number[] {
    if (this.order.taken >= this.batchesPerEpoch || this.order.permutation.length === 0) {
      const permutation = Array.from({ length: this.o.latents.size }, (_, i) => i);
      this.order = { permutation: shuffleInPlace(permutation, this.o.random), taken: 0 };
    }
    const start = this.order.taken * this.config.batchSize;
    this.order.taken += 1;
    return this.order.permutation.slice(start, start + this.config.batchSize);
  }

  private promptFor(image: number): string {
    if (this.fixedPrompts) return this.fixedPrompts[image];
    const line = choosePromptLine(this.o.template, this.o.random);
    return fillPromptTemplate(line, this.config.name, augmentCaptionTags(this.o.captions[image], this.config, this.o.random));
  }

  /** Draws the next batch (prompts, timesteps, noise) in the generator's fixed order. */
  nextBatch(): TrainingBatch & { prompts: string[] } {
    const images = this.nextImages();
    const { latentHeight: h, latentWidth: w } = this.o.step;
    const size = 4 * h * w;
    const latents = new Float32Array(images.length * size);
    const noise = new Float32Array(images.length * size);
    const batch: TrainingBatch & { prompts: string[] } = { inputIds: [], slots: [], weights: [], latents, noise, timesteps: [], prompts: [] };
    const normal = () => this.o.random.normal();
    const encoded: EncodedPrompt[] = [];
    images.forEach((image, row) => {
      const prompt = this.promptFor(image);
      encoded.push(encodeTrainingPrompt(this.o.tokenizer, prompt, this.config.name, this.o.embedding.count, this.config.emphasis));
      batch.prompts.push(prompt);
      const latent = this.o.latents.latent(image, normal);
      if (latent.length !== size) throw new Error(`latent of image ${image} has ${latent.length} values, the step expects ${size} (4×${h}×${w})`);
      latents.set(latent, row * size);
      batch.timesteps.push(Math.min(999, Math.floor(this.o.random.uniform() * 1000)));
      for (let i = 0; i < size; i++) noise[row * size + i] = this.o.random.normal();
    });
    // A1111 encodes a batch chunk by chunk; a prompt with fewer chunks gets empty ones (BOS + EOS)
    const chunks = Math.max(...encoded.map((e) => e.chunks));
    for (const e of encoded.map((p) => padToChunks(p, chunks))) {
      batch.inputIds.push(e.ids);
      batch.slots.push(e.slots);
      batch.weights.push(e.weights);
    }
    return batch;
  }

  async run(): Promise<LoopResult> {
    const { emit } = this.o;
    const startedAt = Date.now();
    const startStep = this.stepsDone;
    let peakRss = 0;
    let reason: LoopResult['reason'] = 'completed';
    // A fresh start after a kill that came before the first save: the killed run's rows go.
    if (!this.restored && this.lossLog.truncateAfter(this.stepsDone)) this.lossLog.flush();
    if (this.restored) await this.resumePreviews();
    outer: while (this.stepsDone < this.config.maxSteps) {
      for (let command = this.o.nextCommand?.(); command; command = this.o.nextCommand?.()) {
        const verdict = await this.handle(command);
        if (verdict === 'stop') {
          reason = 'stopped';
          break outer;
        }
      }
      const learningRate = learningRateAt(this.schedule, this.stepsDone);
      if (learningRate === null) {
        reason = 'schedule-ended';
        break;
      }
      const gradient = new Float32Array(this.vectors.length);
      let loss = 0;
      const accumulation = this.config.gradientAccumulation;
      for (let a = 0; a < accumulation; a++) {
        const batch = this.nextBatch();
        const result = await this.o.step.run(batch, this.vectors);
        loss += result.loss / accumulation;
        for (let i = 0; i < gradient.length; i++) gradient[i] += result.gradient[i] / accumulation;
      }
      if (this.clipSchedule) clipGradientInPlace(gradient, this.config.clipGradMode, learningRateAt(this.clipSchedule, this.stepsDone) ?? this.clipSchedule.entries[this.clipSchedule.entries.length - 1].rate);
      let finite = Number.isFinite(loss) && gradient.every(Number.isFinite);
      let skippedBecause: string | undefined;
      if (finite) {
        const before = Number.isFinite(this.explosionLimit) ? { vectors: this.vectors.slice(), optimizer: copyAdamW(this.optimizer) } : null;
        adamWStep(this.vectors, gradient, this.optimizer, learningRate);
        const rms = rootMeanSquare(this.vectors);
        if (before && !(rms <= this.explosionLimit)) {
          // an update no sane rate makes: undo it, and stop (or roll back) as for a NaN
          this.vectors = before.vectors;
          this.optimizer = before.optimizer;
          finite = false;
          skippedBecause = `the update of step ${this.stepsDone + 1} made the embedding explode (its RMS would be ${rms.toPrecision(3)}, more than ${explosionFactor}× that of the model's own token embeddings: limit ${this.explosionLimit.toPrecision(3)})`;
        }
      }
      this.stepsDone += 1;
      const step = this.stepsDone;
      const guidance = this.monitor.observe(step, loss, learningRate, finite, skippedBecause);
      if (Number.isFinite(loss) && finite && (this.bestLoss === null || this.monitor.average < this.bestLoss) && step - this.firstStep >= Math.min(10, this.config.maxSteps)) this.bestLoss = this.monitor.average;
      // A1111 writes a row for every --csv-every-th step only (and none with 0); a step whose loss is not
      // finite gets its row too, so the log shows where the run diverged
      if ((this.config.writeCsvEvery > 0 && step % this.config.writeCsvEvery === 0) || !finite) {
        this.pendingRows.push({ step, loss, learnRate: learningRate });
        this.flushLossRows();
      }
      const rss = process.memoryUsage().rss;
      peakRss = Math.max(peakRss, rss);
      const elapsed = (Date.now() - startedAt) / 1000;
      const stepsPerSecond = elapsed > 0 ? (step - startStep) / elapsed : 0;
      emit({
        type: 'progress',
        step,
        epoch: Math.floor((step - 1) / this.stepsPerEpoch),
        epochStep: (step - 1) % this.stepsPerEpoch,
        // JSON has no NaN: a non-finite loss goes out as null (the 'diverged' guidance after it says why).
        loss: Number.isFinite(loss) ? loss : null,
        lossAverage: Number.isFinite(this.monitor.average) ? this.monitor.average : null,
        learningRate,
        stepsPerSecond,
        etaSeconds: stepsPerSecond > 0 ? (this.config.maxSteps - step) / stepsPerSecond : null,
        memory: { rssBytes: rss, peakRssBytes: peakRss },
      });
      for (const event of guidance) emit(event);
      const diverged = guidance.find((g) => g.kind === 'diverged');
      if (diverged && this.config.autoRollback && diverged.rollbackTo) {
        // the tutorial's remedy: back to the best saved embedding, on with the next lower rate
        const lower = nextLowerLearningRate(learningRate);
        await this.rollback(diverged.rollbackTo.path, lower === null ? undefined : String(lower));
        continue;
      }
      if (!finite) {
        reason = 'diverged';
        break;
      }
      if (this.config.saveEvery > 0 && step % this.config.saveEvery === 0 && step < this.config.maxSteps) this.save(step, false);
      if (this.o.preview && this.config.previewEvery > 0 && step % this.config.previewEvery === 0) await this.renderPreviews(step, learningRate);
    }
    // A diverged run saves nothing, but its log keeps every step, the non-finite one included.
    if (reason === 'diverged') this.flushLossRows();
    const finalPath = reason === 'diverged' ? null : this.save(this.stepsDone, true);
    return { reason, step: this.stepsDone, embeddingPath: finalPath ?? this.lastSavedPath, bestLoss: this.bestLoss };
  }

  private async renderPreviews(step: number, learningRate: number): Promise<void> {
    const { emit } = this.o;
    emit({ type: 'phase', phase: 'rendering-preview', detail: `step ${step}` });
    const previews = await this.o.preview!.render(step, this.vectors, learningRate);
    for (const event of previews) emit(event);
    // one judgement per preview step: the largest change among its prompts
    const differences = previews.map((e) => e.differenceFromPrevious).filter((d): d is number => d !== null);
    const difference = differences.length === previews.length && differences.length > 0 ? Math.max(...differences) : null;
    for (const g of this.monitor.observePreview(step, difference, learningRate)) emit(g);
    emit({ type: 'phase', phase: 'training', detail: `step ${step}` });
  }

  /**
   * After a resume: the previews of the step saved are rendered (again), since the save comes
   * before them and a kill may have come between; the ones before are taken from their files,
   * so differences and the "previews stable" judgement continue as if the run never stopped.
   */
  private async resumePreviews(): Promise<void> {
    const every = this.config.previewEvery;
    const preview = this.o.preview;
    if (!preview || every <= 0 || this.stepsDone === 0) return;
    const step = this.stepsDone;
    const last = step % every === 0 ? step - every : step - (step % every);
    if (last > 0) await preview.restorePrevious?.(last);
    if (step % every === 0) {
      // the rate step `step` trained at: the saved schedule read from its start
      const rate = learningRateAt(parseLearningRateSchedule(this.config.learnRate, this.config.maxSteps, 0), step - 1);
      if (rate !== null) await this.renderPreviews(step, rate);
    }
  }

  private flushLossRows(): void {
    this.lossLog.append(this.pendingRows);
    this.pendingRows = [];
  }

  private embedding(step: number): Embedding {
    return { ...this.o.embedding, name: this.config.name, vectors: this.vectors, step };
  }

  /**
   * Writes NAME-STEP (or the final NAME) embedding and the run state; returns the embedding path.
   * NAME-STEP holds the embedding after STEP steps (A1111's NAME-4.pt holds step 3, and it also
   * writes NAME-<max>.pt: a deliberate difference, see README).
   */
  save(step: number, final: boolean): string {
    const base = final ? this.config.name : `${this.config.name}-${step}`;
    const path = join(this.embeddingsDir, `${base}.safetensors`);
    const embedding = this.embedding(step);
    if (this.config.initEmbedding && pathsEqual(path, this.config.initEmbedding)) {
      throw new Error(`${path} is the embedding this run started from; it is never overwritten — choose another --name or --out`);
    }
    writeEmbeddingSafetensors(path, embedding);
    if (this.config.writePt) writeEmbeddingPt(join(this.embeddingsDir, `${base}.pt`), embedding);
    this.flushLossRows();
    const loss = Number.isFinite(this.monitor.average) ? this.monitor.average : null;
    writeRunState(join(this.o.runDir, runStateFileName), {
      step,
      name: this.config.name,
      vectors: this.vectors,
      count: this.o.embedding.count,
      width: this.o.embedding.width,
      optimizer: this.optimizer,
      random: { generator: this.o.random.saveState(), order: this.order },
      learnRate: this.config.learnRate,
      loss,
      history: this.historyAfterSave(path, step, loss),
    });
    if (loss !== null) this.monitor.noteSaved(path, step, loss);
    this.lastSavedPath = path;
    this.o.emit({ type: 'saved', step, path, loss, kind: 'embedding' });
    this.o.emit({ type: 'saved', step, path: join(this.o.runDir, runStateFileName), loss, kind: 'state' });
    return path;
  }

  /** The history as it will be once this save is noted (the state file must hold the save itself). */
  private historyAfterSave(path: string, step: number, loss: number | null): RunHistory {
    const history = this.history();
    const monitor = history.monitor as LossMonitorState;
    if (loss !== null) monitor.saved.push({ path: this.inRunFolder(path), step, loss });
    return { ...history, lastSaved: this.inRunFolder(path) };
  }

  private async rollback(path: string, schedule?: string): Promise<void> {
    const embedding = readEmbeddingFile(path);
    if (embedding.vectors.length !== this.vectors.length) throw new Error(`${path}: ${embedding.count}×${embedding.width} does not match this run's ${this.o.embedding.count}×${this.o.embedding.width}`);
    this.vectors = Float32Array.from(embedding.vectors);
    this.optimizer = { step: 0, firstMoment: new Float64Array(this.vectors.length), secondMoment: new Float64Array(this.vectors.length) };
    if (schedule) this.setSchedule(schedule);
    this.monitor.reset();
    this.o.emit({ type: 'log', level: 'info', message: `rolled back to ${path} (step ${embedding.step ?? '?'}); continuing from step ${this.stepsDone} with fresh optimiser moments` });
  }

  private setSchedule(text: string): void {
    const parsed = parseLearningRateSchedule(text, this.config.maxSteps, this.stepsDone);
    this.schedule = parsed;
    this.config.learnRate = text;
    for (const w of parsed.warnings) this.o.emit({ type: 'log', level: 'warning', message: w });
    this.o.emit({ type: 'learningRateChanged', step: this.stepsDone, schedule: text, learningRate: learningRateAt(parsed, this.stepsDone) ?? 0 });
  }

  /** Applies one command; 'stop' ends the loop. Pausing waits here for the next command. */
  private async handle(command: TrainerCommand): Promise<'stop' | 'go'> {
    switch (command.type) {
      case 'stop':
        return 'stop';
      case 'saveNow':
        this.save(this.stepsDone, false);
        return 'go';
      case 'setLearningRate':
        try {
          this.setSchedule(command.schedule);
        } catch (error) {
          this.o.emit({ type: 'log', level: 'warning', message: `learning rate not changed: ${(error as Error).message}` });
        }
        return 'go';
      case 'rollback':
        try {
          await this.rollback(command.embeddingPath, command.schedule);
        } catch (error) {
          this.o.emit({ type: 'log', level: 'warning', message: `rollback failed: ${(error as Error).message}` });
        }
        return 'go';
      case 'resume':
        return 'go';
      case 'pause': {
        this.o.emit({ type: 'paused', step: this.stepsDone });
        if (!this.o.waitForCommand) return 'go';
        for (;;) {
          const next = await this.o.waitForCommand();
          if (next.type === 'resume') {
            this.o.emit({ type: 'resumed', step: this.stepsDone });
            return 'go';
          }
          if (next.type === 'pause') continue;
          const verdict = await this.handle(next);
          if (verdict === 'stop') return 'stop';
        }
      }
    }
  }
}

function pathsEqual(a: string, b: string): boolean {
  return resolve(a) === resolve(b);
}

/** How far above the model's own token embeddings (RMS) a trained embedding may go. */
export const explosionFactor = 100;

export function rootMeanSquare(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum / Math.max(1, values.length));
}

function copyAdamW(state: AdamWState): AdamWState {
  return { step: state.step, firstMoment: state.firstMoment.slice(), secondMoment: state.secondMoment.slice() };
}
