// A whole training run from a RunConfig: checks, run folder, model, tokenizer, template, images,
// latents (VAE once), the starting embedding (new from the init text, an existing file, or the
// saved run state), the ONNX step, the loop and the previews. Used by the worker (forked by the
// extension) and the CLI; it reports through `emit` only.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describeNodePlacement, type NodePlacementReport } from '../onnx';
import type { TrainerCommand, TrainerEvent } from '../protocol/trainerMessages';
import type { DatasetIndex } from '../dataset/datasetIndex';
import { inferSd1Architecture } from '../sd/architecture';
import { loadCheckpoint } from '../sd/checkpoint';
import { noiseScheduleFromCheckpoint } from '../sd/noiseSchedule';
import { findNonFiniteGraphWeight, nonFiniteWeightMessage } from '../sd/nonFiniteWeights';
import { hasRandomWeights } from '../sd/randomCheckpoint';
import { dtypeItemSize } from '../sd/safetensors';
import { removeStaleTemporaryFiles, writeFileAtomicSync } from '../dataset/atomicWrite';
import { readRunConfigFile, validateRunConfig, withAbsolutePaths, type RunConfig } from './config';
import { createEmbedding } from './createEmbedding';
import { readEmbeddingFile, type Embedding } from './embeddingFile';
import { LatentCache } from './latentCache';
import { encodeTrainingLatents } from './latentEncoding';
import { explosionFactor, rootMeanSquare, TrainingLoop, type LoopResult, type PreviewRenderer } from './loop';
import { defaultLossMonitorOptions } from './lossMonitor';
import { createAdamWState } from './optimizer';
import { loadPromptTemplate } from './promptTemplates';
import { asInputError, RunConfigError } from './runConfigError';
import { estimateTrainingMemory, trainingMemoryProblem } from './trainingMemory';
import { runStateFileName } from './runState';
import { defaultOnnxCacheDir, TiLossSession } from './tiLossSession';
import { listTrainingImages } from './trainingImages';
import { createTrainingRandom, derivedSeed } from './trainingRandom';
import { locateClipTokenizer } from './tokenizerLocation';
import { createPreviewRenderer } from './previewRenderer';
import { chooseComputePrecision } from './computePrecision';

export interface TrainingRunControl {
  emit: (event: TrainerEvent) => void;
  resume: boolean;
  nextCommand?: () => TrainerCommand | undefined;
  waitForCommand?: () => Promise<TrainerCommand>;
  intraOpThreads?: number;
  /** Tests and benches: no preview renderer even when previewEvery > 0. */
  skipPreviews?: boolean;
  /**
   * What to say about the dataset before training (the CLI and the worker pass the caption
   * linter's summary, lint/trainingReport), from its index and the run's token counter.
   */
  datasetReport?: (index: DatasetIndex, countTokens: (text: string) => number) => { level: 'info' | 'warning'; message: string }[];
}

/** Said once at the start of a run on a checkpoint with random weights (the demo's, random-model's). */
export const randomWeightsNotice =
  'this checkpoint has random weights: it cannot learn, so the loss stays near 1 and the previews stay noise-like whatever the embedding. ' +
  'The run shows the pipeline working; the loss notices below say what they mean here, and none asks you to act.';

export { RunConfigError } from './runConfigError';

export function runConfigPath(runDir: string): string {
  return join(runDir, 'run-config.json');
}

/**
 * The configuration to resume a run with: the run folder's own run-config.json (its paths are
 * stored absolute, or read relative to it), in that folder even when the folder was moved.
 */
export function readRunFolderConfig(configPath: string): RunConfig {
  const config = readRunConfigFile(configPath);
  const folder = dirname(resolve(configPath));
  if (basename(configPath) === 'run-config.json' && existsSync(join(folder, runStateFileName))) config.out = folder;
  return config;
}

/** The run folder of a configuration: `out`, or runs/NAME, absolute. */
export function resolveRunDir(config: Pick<RunConfig, 'out' | 'name'>): string {
  return resolve(config.out || join('runs', config.name));
}

export async function runTraining(input: RunConfig, control: TrainingRunControl): Promise<LoopResult> {
  const config: RunConfig = withAbsolutePaths(input);
  config.out = resolveRunDir(config);
  const problems = validateRunConfig(config);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) throw new RunConfigError(errors.map((p) => `${p.field}: ${p.message}`).join('\n'));
  const { emit } = control;
  // Every session on a GPU provider reports, after its first run, where ORT placed its nodes:
  // compute nodes on the CPU are a warning (the GPU provider lacked a kernel), shape arithmetic is not.
  const onNodePlacement = (report: NodePlacementReport) =>
    emit({ type: 'log', level: report.cpuCompute.length > 0 ? 'warning' : 'info', message: `node placement: ${describeNodePlacement(report)}` });
  for (const p of problems) emit({ type: 'log', level: 'warning', message: `${p.field}: ${p.message}` });
  const runDir = config.out;
  const statePath = join(runDir, runStateFileName);
  if (control.resume && !existsSync(statePath)) throw new RunConfigError(`${runDir}: nothing to resume (no ${runStateFileName}); start without --resume`);
  if (!control.resume && existsSync(statePath)) throw new RunConfigError(`${runDir} already holds a run (${runStateFileName}); continue it with --resume, or choose another --out`);
  if (config.initEmbedding) {
    const source = config.initEmbedding;
    const escaped = config.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (dirname(source) === join(runDir, 'embeddings') && new RegExp(`^${escaped}(-\\d+)?\\.(safetensors|pt)$`).test(basename(source))) {
      throw new RunConfigError(`${source} would be overwritten by this run's saves; the embedding you start from is never overwritten — use another --name or --out`);
    }
  }

  // Every input is checked before the run folder is touched: a typo leaves nothing behind.
  emit({ type: 'phase', phase: 'loading-model', detail: config.model });
  const checkpoint = asInputError(() => loadCheckpoint(config.model));
  try {
    const architecture = asInputError(() =>
      inferSd1Architecture(checkpoint, {
        textHeads: config.textHeads > 0 ? config.textHeads : undefined,
        unetHeads: config.unetHeads > 0 ? config.unetHeads : undefined,
      }),
    );
    const damaged = findNonFiniteGraphWeight(checkpoint.tensors);
    if (damaged) throw new RunConfigError(nonFiniteWeightMessage(checkpoint.path, damaged));
    const weightBytes = [...checkpoint.tensors.values()].reduce((sum, t) => sum + (t.byteLength / dtypeItemSize[t.dtype]) * 4, 0);
    const sizes = { width: config.width, height: config.height, batchSize: config.batchSize, weightBytes };
    const tooLarge = trainingMemoryProblem(estimateTrainingMemory(architecture, sizes), sizes);
    if (tooLarge) throw new RunConfigError(tooLarge);
    const { tokenizer, description: tokenizerDescription } = asInputError(() => locateClipTokenizer(config.tokenizer, config.model, checkpoint.tokenizerFolder));
    emit({ type: 'log', level: 'info', message: `CLIP tokenizer: ${tokenizerDescription}` });
    const randomWeights = hasRandomWeights(checkpoint.metadata);
    if (randomWeights) emit({ type: 'log', level: 'warning', message: randomWeightsNotice });
    const template = asInputError(() => loadPromptTemplate(config.template));
    for (const warning of template.warnings) emit({ type: 'log', level: 'warning', message: warning });
    const dataset = await listTrainingImages(config.data).catch((error: Error) => {
      throw new RunConfigError(error.message);
    });
    for (const note of control.datasetReport?.(dataset.index, (text) => tokenizer.tokenize(text).length) ?? []) emit({ type: 'log', level: note.level, message: note.message });
    for (const skipped of dataset.skipped) emit({ type: 'log', level: 'warning', message: `not trained: ${skipped.problem}` });
    const images = dataset.images;
    if (images.length === 0) throw new RunConfigError(`${config.data}: none of its ${dataset.skipped.length} images can be trained on (see the messages above); fix or replace them`);
    const offSize = images.filter((i) => i.width !== config.width || i.height !== config.height);
    if (offSize.length > 0) {
      const example = offSize[0];
      emit({
        type: 'log',
        level: 'warning',
        message: `${offSize.length} of ${images.length} images are not ${config.width}×${config.height} (e.g. ${basename(example.path)} is ${example.width}×${example.height}): training resizes each to ${config.width}×${config.height} without cropping, as A1111 does, which ${offSize.some((i) => i.width / i.height !== config.width / config.height) ? 'distorts images of another shape' : 'resamples them'}; preprocess them to the training size first (embedding-studio preprocess SRC DST --width ${config.width} --height ${config.height})`,
      });
    }

    const width = architecture.textEncoder.width;
    const hashes = (() => {
      try {
        return checkpoint.hashes();
      } catch {
        return null;
      }
    })();
    const table = checkpoint.readFloat32(`${architecture.textEncoder.prefix}embeddings.token_embedding.weight`);

    let embedding: Embedding;
    // A1111 continues an existing embedding from the step stored in it (the schedule's steps count from there)
    let startStep = 0;
    if (config.initEmbedding) {
      const initEmbedding = config.initEmbedding;
      embedding = { ...asInputError(() => readEmbeddingFile(initEmbedding)), name: config.name };
      const bad = embedding.vectors.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new RunConfigError(`${config.initEmbedding}: vector ${Math.floor(bad / embedding.width)} holds a non-finite value (${embedding.vectors[bad]} at element ${bad % embedding.width}) — the embedding is damaged (it was saved from a diverged run?); start from a good one or from an initialisation text (--init-text)`);
      if (embedding.width !== width) throw new RunConfigError(`${config.initEmbedding}: vectors of width ${embedding.width}, but this model's text encoder has width ${width} (an SD2/SDXL embedding?)`);
      if (embedding.count !== config.vectors) {
        emit({ type: 'log', level: 'info', message: `${config.initEmbedding} has ${embedding.count} vectors; training ${embedding.count} (not ${config.vectors})` });
        config.vectors = embedding.count;
      }
      startStep = embedding.step ?? 0;
      if (startStep >= config.maxSteps && !control.resume) {
        throw new RunConfigError(`${config.initEmbedding} was already trained for ${startStep} steps, at or beyond max steps ${config.maxSteps}; raise --steps`);
      }
    } else {
      const created = asInputError(() =>
        createEmbedding({
          name: config.name,
          vectors: config.vectors,
          initText: config.initText,
          width,
          tokenizer,
          tokenEmbedding: (id) => table.slice(id * width, (id + 1) * width),
          checkpointHash: hashes?.shortHash ?? null,
          checkpointName: checkpoint.name,
        }),
      );
      embedding = created.embedding;
      emit({ type: 'log', level: 'info', message: created.advice });
    }
    embedding.checkpointHash = hashes?.shortHash ?? null;
    embedding.checkpointName = checkpoint.name;
    // far past the model's own token embeddings, or the start's, is no training any rate can mean
    const explosionLimit = Math.max(1, explosionFactor * rootMeanSquare(table), 10 * rootMeanSquare(embedding.vectors));

    mkdirSync(runDir, { recursive: true });
    // what a kill during an atomic write left behind (never our own live writes: none yet)
    for (const dir of [runDir, join(runDir, 'embeddings'), join(runDir, 'images'), defaultOnnxCacheDir(runDir)]) removeStaleTemporaryFiles(dir);
    writeFileAtomicSync(runConfigPath(runDir), JSON.stringify(config, null, 2) + '\n');
    const cacheDir = defaultOnnxCacheDir(runDir);

    emit({ type: 'phase', phase: 'encoding-latents', detail: `${images.length} images at ${config.width}×${config.height}`, current: 0, total: images.length });
    const { distributions, fromCache } = await encodeTrainingLatents({
      checkpoint,
      architecture,
      images,
      width: config.width,
      height: config.height,
      runDir,
      provider: config.provider,
      cacheDir,
      onNodePlacement,
      onProgress: (current, total) => emit({ type: 'phase', phase: 'encoding-latents', detail: `image ${current} of ${total}`, current, total }),
    });
    if (fromCache) emit({ type: 'log', level: 'info', message: `latents of ${images.length} images reused from the run folder` });
    const latentRandom = createTrainingRandom(derivedSeed(config.seed, 'latents'));
    const latents = new LatentCache(distributions, config.latentSampling, () => latentRandom.normal());

    emit({ type: 'phase', phase: 'building-graph', detail: `textual-inversion step, batch ${config.batchSize}` });
    const alphasCumprod = noiseScheduleFromCheckpoint(checkpoint.alphasCumprod);
    emit({ type: 'phase', phase: 'creating-session', detail: `provider ${config.provider}` });
    const step = await TiLossSession.create({
      checkpoint,
      architecture,
      alphasCumprod,
      vectors: embedding.count,
      batchSize: config.batchSize,
      latentHeight: config.height / architecture.vae.downscale,
      latentWidth: config.width / architecture.vae.downscale,
      clipSkip: config.clipSkip,
      emphasis: config.emphasis,
      provider: config.provider,
      cacheDir,
      intraOpThreads: control.intraOpThreads,
      onBuildGraph: (chunks) => emit({ type: 'log', level: 'info', message: `a prompt of ${chunks} chunks of 75 tokens (long caption or BREAK): building the training graph for a ${77 * chunks}-token context once` }),
      onNodePlacement,
    });
    let preview: PreviewRenderer | undefined;
    try {
      // The decision point for fp16 compute; float32 until the fp16 graph exists (see computePrecision.ts).
      const precision = await chooseComputePrecision(step.ortSession.provider);
      emit({ type: 'log', level: 'info', message: `compute precision: ${precision.reason}` });
      // an explicitly chosen GPU provider on a software adapter runs, and says so where warnings show
      for (const note of step.providerNotes) if (note.startsWith(`${step.provider}: WARNING`)) emit({ type: 'log', level: 'warning', message: note });
      if (config.previewEvery > 0 && !control.skipPreviews) {
        preview = await createPreviewRenderer({ config, runDir, checkpoint, architecture, alphasCumprod, tokenizer, template, embedding, cacheDir, provider: step.provider, intraOpThreads: control.intraOpThreads, onNodePlacement });
      }
      const loop = new TrainingLoop({
        config,
        runDir,
        step,
        tokenizer,
        template,
        latents,
        captions: images.map((i) => i.caption),
        random: createTrainingRandom(config.seed),
        embedding,
        optimizer: createAdamWState(embedding.vectors.length),
        startStep,
        emit,
        preview,
        ...(randomWeights ? { monitor: { ...defaultLossMonitorOptions, randomWeights } } : {}),
        nextCommand: control.nextCommand,
        waitForCommand: control.waitForCommand,
        explosionLimit,
      });
      if (control.resume) loop.restore(statePath);
      emit({
        type: 'started',
        runDir,
        embeddingName: config.name,
        vectors: embedding.count,
        startStep: loop.step,
        maxSteps: config.maxSteps,
        provider: step.provider,
        providerNotes: [...step.providerNotes],
        computePrecision: { precision: precision.precision, reason: precision.reason },
        config: config as unknown as Record<string, unknown>,
      });
      emit({ type: 'phase', phase: 'training', detail: `from step ${loop.step}` });
      const result = await loop.run();
      emit({ type: 'finished', reason: result.reason, step: result.step, embeddingPath: result.embeddingPath, bestLoss: result.bestLoss });
      return result;
    } finally {
      await step.release();
      await preview?.release?.();
    }
  } finally {
    checkpoint.close();
  }
}
