// A whole training run from a RunConfig: checks, run folder, model, tokenizer, template, images,
// latents (VAE once), the starting embedding (new from the init text, an existing file, or the
// saved run state), the ONNX step, the loop and the previews. Used by the worker (forked by the
// extension) and the CLI; it reports through `emit` only.
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { describeNodePlacement, type NodePlacementReport } from '../onnx';
import type { TrainerCommand, TrainerEvent } from '../protocol/trainerMessages';
import { inferSd1Architecture } from '../sd/architecture';
import { loadCheckpoint } from '../sd/checkpoint';
import { noiseScheduleFromCheckpoint } from '../sd/noiseSchedule';
import { hasRandomWeights } from '../sd/randomCheckpoint';
import { writeFileAtomicSync } from '../dataset/atomicWrite';
import { validateRunConfig, type RunConfig } from './config';
import { createEmbedding } from './createEmbedding';
import { readEmbeddingFile, type Embedding } from './embeddingFile';
import { LatentCache } from './latentCache';
import { encodeTrainingLatents } from './latentEncoding';
import { TrainingLoop, type LoopResult, type PreviewRenderer } from './loop';
import { defaultLossMonitorOptions } from './lossMonitor';
import { createAdamWState } from './optimizer';
import { loadPromptTemplate } from './promptTemplates';
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
}

/** Said once at the start of a run on a checkpoint with random weights (the demo's, random-model's). */
export const randomWeightsNotice =
  'this checkpoint has random weights: it cannot learn, so the loss stays near 1 and the previews stay noise-like whatever the embedding. ' +
  'The run shows the pipeline working; the loss notices below say what they mean here, and none asks you to act.';

export class RunConfigError extends Error {}

export function runConfigPath(runDir: string): string {
  return join(runDir, 'run-config.json');
}

/** The run folder of a configuration: `out`, or runs/NAME, absolute. */
export function resolveRunDir(config: Pick<RunConfig, 'out' | 'name'>): string {
  return resolve(config.out || join('runs', config.name));
}

export async function runTraining(input: RunConfig, control: TrainingRunControl): Promise<LoopResult> {
  const config: RunConfig = { ...input, out: resolveRunDir(input) };
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
  mkdirSync(runDir, { recursive: true });
  const statePath = join(runDir, runStateFileName);
  if (control.resume && !existsSync(statePath)) throw new RunConfigError(`${runDir}: nothing to resume (no ${runStateFileName}); start without --resume`);
  if (!control.resume && existsSync(statePath)) throw new RunConfigError(`${runDir} already holds a run (${runStateFileName}); continue it with --resume, or choose another --out`);
  if (config.initEmbedding) {
    const source = resolve(config.initEmbedding);
    const escaped = config.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (dirname(source) === join(runDir, 'embeddings') && new RegExp(`^${escaped}(-\\d+)?\\.(safetensors|pt)$`).test(basename(source))) {
      throw new RunConfigError(`${source} would be overwritten by this run's saves; the embedding you start from is never overwritten — use another --name or --out`);
    }
  }
  writeFileAtomicSync(runConfigPath(runDir), JSON.stringify(config, null, 2) + '\n');

  emit({ type: 'phase', phase: 'loading-model', detail: config.model });
  const checkpoint = loadCheckpoint(config.model);
  try {
    const architecture = inferSd1Architecture(checkpoint, {
      textHeads: config.textHeads > 0 ? config.textHeads : undefined,
      unetHeads: config.unetHeads > 0 ? config.unetHeads : undefined,
    });
    const { tokenizer, description: tokenizerDescription } = locateClipTokenizer(config.tokenizer, config.model, checkpoint.tokenizerFolder);
    emit({ type: 'log', level: 'info', message: `CLIP tokenizer: ${tokenizerDescription}` });
    const randomWeights = hasRandomWeights(checkpoint.metadata);
    if (randomWeights) emit({ type: 'log', level: 'warning', message: randomWeightsNotice });
    const template = loadPromptTemplate(config.template);
    for (const warning of template.warnings) emit({ type: 'log', level: 'warning', message: warning });
    const images = listTrainingImages(config.data);
    const cacheDir = defaultOnnxCacheDir(runDir);
    const width = architecture.textEncoder.width;
    const hashes = (() => {
      try {
        return checkpoint.hashes();
      } catch {
        return null;
      }
    })();

    let embedding: Embedding;
    // A1111 continues an existing embedding from the step stored in it (the schedule's steps count from there)
    let startStep = 0;
    if (config.initEmbedding) {
      embedding = { ...readEmbeddingFile(config.initEmbedding), name: config.name };
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
      const table = checkpoint.readFloat32(`${architecture.textEncoder.prefix}embeddings.token_embedding.weight`);
      const created = createEmbedding({
        name: config.name,
        vectors: config.vectors,
        initText: config.initText,
        width,
        tokenizer,
        tokenEmbedding: (id) => table.slice(id * width, (id + 1) * width),
        checkpointHash: hashes?.shortHash ?? null,
        checkpointName: checkpoint.name,
      });
      embedding = created.embedding;
      emit({ type: 'log', level: 'info', message: created.advice });
    }
    embedding.checkpointHash = hashes?.shortHash ?? null;
    embedding.checkpointName = checkpoint.name;

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
