// One training run's configuration, with AUTOMATIC1111's "Train" tab parameters, names (in the
// comments) and defaults. Stored as run-config.json in the run folder; the CLI flags and the
// extension's form both fill this shape, and validateRunConfig says what is wrong in words.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseLearningRateSchedule, ScheduleSyntaxError } from './learningRateSchedule';
import { shippedTemplateNames } from './promptTemplates';
import { maxTrainingSide } from './trainingMemory';

export type LatentSampling = 'once' | 'deterministic' | 'random';
export type GradientClipping = 'disabled' | 'value' | 'norm';
export type PreviewSampler = 'euler_a' | 'ddim';
export type ProviderChoice = 'auto' | 'cpu' | 'cuda' | 'dml' | 'webgpu';

export interface RunConfig {
  /** SD1.x checkpoint (.safetensors). */
  model: string;
  /** Folder of images with caption .txt files (A1111: dataset directory). */
  data: string;
  /** Embedding name, also the [name] in templates. */
  name: string;
  /** A1111 create embedding: number of vectors per token. */
  vectors: number;
  /** A1111 create embedding: initialization text. */
  initText: string;
  /** Continue training this existing embedding (.safetensors / .pt) instead of a new one; never overwritten. */
  initEmbedding: string | null;
  /** A1111 embedding_learn_rate (a schedule string). */
  learnRate: string;
  /** A1111 batch_size. */
  batchSize: number;
  /** A1111 gradient_step. */
  gradientAccumulation: number;
  /** A1111 clip_grad_mode. */
  clipGradMode: GradientClipping;
  /** A1111 clip_grad_value (schedule syntax). */
  clipGradValue: string;
  /** A1111 training_width / training_height. */
  width: number;
  height: number;
  /** A1111 steps. */
  maxSteps: number;
  /** A1111 save_embedding_every (0: only at the end). */
  saveEvery: number;
  /** A1111 create_image_every (0: no previews). */
  previewEvery: number;
  /** A1111 template_filename: a shipped template name or a file path. */
  template: string;
  /** A1111 shuffle_tags. */
  shuffleTags: boolean;
  /** A1111 tag_drop_out (probability of dropping each tag). */
  tagDropOut: number;
  /** A1111 latent_sampling_method. */
  latentSampling: LatentSampling;
  /** Parse `(tag:1.2)` emphasis in captions during training, as A1111 does. */
  emphasis: boolean;
  /** A1111 CLIP_stop_at_last_layers (1 = last layer, 2 = penultimate). */
  clipSkip: number;
  /** Seed of everything random in the run (A1111 has none; we want reproducible runs). */
  seed: number;
  /** A1111 training_write_csv_every. */
  writeCsvEvery: number;
  /** Also write A1111 `.pt` files beside the .safetensors. */
  writePt: boolean;
  /** A1111 save_image_with_stored_embedding: the preview PNG carries the embedding. */
  saveImageWithEmbedding: boolean;
  /** Fixed preview prompts; empty = the embedding name alone and one template prompt. */
  previewPrompts: string[];
  previewNegativePrompt: string;
  previewSampler: PreviewSampler;
  previewSteps: number;
  previewCfgScale: number;
  previewSeed: number;
  /** Roll back to the best saved embedding automatically when the loss diverges. */
  autoRollback: boolean;
  /** Run folder (embeddings/, images/, textual_inversion_loss.csv, run-config.json). */
  out: string;
  provider: ProviderChoice;
  /** CLIP tokenizer files (bpe_simple_vocab_16e6.txt.gz, or a folder with merges.txt + vocab.json); '' = search near the model. */
  tokenizer: string;
  /** Attention heads of the text encoder and UNet (not in the weights; SD1: 12 and 8). 0 = SD1 default. */
  textHeads: number;
  unetHeads: number;
}

export const defaultRunConfig: RunConfig = {
  model: '',
  data: '',
  name: '',
  vectors: 1,
  initText: '*',
  initEmbedding: null,
  learnRate: '0.005',
  batchSize: 1,
  gradientAccumulation: 1,
  clipGradMode: 'disabled',
  clipGradValue: '0.1',
  width: 512,
  height: 512,
  maxSteps: 100000,
  saveEvery: 500,
  previewEvery: 500,
  template: 'style_filewords',
  shuffleTags: false,
  tagDropOut: 0,
  latentSampling: 'once',
  emphasis: true,
  clipSkip: 1,
  seed: 0,
  writeCsvEvery: 500,
  writePt: false,
  saveImageWithEmbedding: true,
  previewPrompts: [],
  previewNegativePrompt: 'lowres, bad anatomy, bad hands, text, error, blurry',
  previewSampler: 'euler_a',
  previewSteps: 20,
  previewCfgScale: 7,
  previewSeed: 1,
  autoRollback: false,
  out: '',
  provider: 'auto',
  tokenizer: '',
  textHeads: 0,
  unetHeads: 0,
};

/** For a character the tutorial trains `subject_filewords`; A1111's own default is `style_filewords`. */
export const suggestedTemplateForCharacter = 'subject_filewords';

export interface ConfigProblem {
  field: keyof RunConfig;
  severity: 'error' | 'warning';
  message: string;
}

export function mergeRunConfig(partial: Partial<RunConfig>): RunConfig {
  const config: RunConfig = { ...defaultRunConfig };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined && key in defaultRunConfig) (config as unknown as Record<string, unknown>)[key] = value;
  }
  return config;
}

const fieldTypes = Object.fromEntries(Object.entries(defaultRunConfig).map(([k, v]) => [k, v === null ? 'string|null' : Array.isArray(v) ? 'array' : typeof v]));

/**
 * The configuration's paths (model, data, tokenizer, init embedding, a template file, the run
 * folder) resolved against `base`: a run-config.json is read relative to its own folder, and a
 * run folder's is written with absolute paths, so a run resumes from any directory.
 */
export function withAbsolutePaths(config: RunConfig, base = process.cwd()): RunConfig {
  const absolute = (p: string) => (p ? resolve(base, p) : p);
  const templateIsFile = !(shippedTemplateNames as readonly string[]).includes(config.template);
  return {
    ...config,
    model: absolute(config.model),
    data: absolute(config.data),
    tokenizer: absolute(config.tokenizer),
    initEmbedding: config.initEmbedding ? absolute(config.initEmbedding) : config.initEmbedding,
    template: templateIsFile ? absolute(config.template) : config.template,
    out: absolute(config.out),
  };
}

/** Reads a run-config.json; unknown fields and wrong types are reported with the file name; relative paths are relative to the file's folder. */
export function readRunConfigFile(path: string): RunConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read the run configuration (${(error as Error).message}); it must be a JSON object like run-config.json in a run folder`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${path}: the run configuration must be a JSON object`);
  for (const [key, value] of Object.entries(parsed)) {
    const type = fieldTypes[key];
    if (!type) throw new Error(`${path}: unknown field "${key}"; known fields: ${Object.keys(defaultRunConfig).join(', ')}`);
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    const ok = type === 'string|null' ? actual === 'null' || actual === 'string' : actual === type;
    if (!ok) throw new Error(`${path}: field "${key}" should be ${type}, got ${JSON.stringify(value)}`);
  }
  return withAbsolutePaths(mergeRunConfig(parsed as Partial<RunConfig>), dirname(resolve(path)));
}

export function validateRunConfig(config: RunConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const error = (field: keyof RunConfig, message: string) => problems.push({ field, severity: 'error', message });
  const warning = (field: keyof RunConfig, message: string) => problems.push({ field, severity: 'warning', message });
  const wholeAtLeast = (field: keyof RunConfig, min: number, label: string) => {
    const v = config[field] as number;
    if (!Number.isInteger(v) || v < min) error(field, `${label} must be a whole number ≥ ${min}, got ${v}`);
  };
  if (!config.model) error('model', 'no model: give the SD1.x checkpoint (.safetensors) with --model or "model"');
  if (!config.data) error('data', 'no dataset: give the folder of images and captions with --data or "data"');
  if (!/^[^\\/:*?"<>|]+$/.test(config.name) || config.name.trim() !== config.name) {
    error('name', `embedding name "${config.name}" is not usable as a file name; use letters, digits, '-' or '_'`);
  }
  wholeAtLeast('vectors', 1, 'vectors per token');
  if (config.vectors > 60) error('vectors', vectorsAdvice(config.vectors));
  wholeAtLeast('batchSize', 1, 'batch size');
  wholeAtLeast('gradientAccumulation', 1, 'gradient accumulation steps');
  wholeAtLeast('maxSteps', 1, 'max steps');
  wholeAtLeast('saveEvery', 0, 'save every');
  wholeAtLeast('previewEvery', 0, 'preview every');
  wholeAtLeast('writeCsvEvery', 0, 'write CSV every');
  wholeAtLeast('previewSteps', 1, 'preview sampling steps');
  wholeAtLeast('seed', 0, 'seed');
  wholeAtLeast('previewSeed', 0, 'preview seed');
  for (const field of ['width', 'height'] as const) {
    const v = config[field];
    if (!Number.isInteger(v) || v < 64 || v % 64 !== 0) error(field, `${field} must be a multiple of 64 (the VAE and UNet downsample by 64 in total), got ${v}; A1111's default is 512`);
    else if (v > maxTrainingSide) error(field, `${field} ${v} is beyond the largest training size, ${maxTrainingSide}: SD1 was trained at 512, and memory grows with the square of the area; train at 512`);
  }
  if (!(config.tagDropOut >= 0 && config.tagDropOut < 1)) error('tagDropOut', `tag dropout is a probability in [0, 1), got ${config.tagDropOut}`);
  if (!['once', 'deterministic', 'random'].includes(config.latentSampling)) error('latentSampling', `latent sampling must be once, deterministic or random, got "${config.latentSampling}"`);
  if (!['disabled', 'value', 'norm'].includes(config.clipGradMode)) error('clipGradMode', `gradient clipping must be disabled, value or norm, got "${config.clipGradMode}"`);
  if (!['euler_a', 'ddim'].includes(config.previewSampler)) error('previewSampler', `preview sampler must be euler_a or ddim, got "${config.previewSampler}"`);
  if (!['auto', 'cpu', 'cuda', 'dml', 'webgpu'].includes(config.provider)) error('provider', `provider must be auto, cpu, cuda, dml or webgpu, got "${config.provider}"`);
  if (config.clipSkip !== 1 && config.clipSkip !== 2) error('clipSkip', `CLIP skip must be 1 or 2, got ${config.clipSkip}`);
  for (const [field, what] of [['learnRate', 'learning rate'], ['clipGradValue', 'gradient clipping value']] as const) {
    if (field === 'clipGradValue' && config.clipGradMode === 'disabled') continue;
    try {
      const schedule = parseLearningRateSchedule(config[field], config.maxSteps > 0 ? config.maxSteps : 1, 0, what);
      for (const w of schedule.warnings) warning(field, w);
      const highest = Math.max(...schedule.entries.map((e) => e.rate));
      if (field === 'learnRate' && highest > highestSaneLearningRate) {
        warning(
          field,
          `learning rate ${highest} is far above what textual inversion trains at (0.005, the tutorial's start; A1111 users stay at or below ${highestSaneLearningRate}): the embedding will blow up within a few steps. Use e.g. "0.005:12000, 0.0001:20000, 0.00001"`,
        );
      }
    } catch (e) {
      if (e instanceof ScheduleSyntaxError) error(field, e.message);
      else throw e;
    }
  }
  if (config.vectors >= 1 && config.vectors <= 5) warning('vectors', vectorsAdvice(config.vectors));
  return problems;
}

/** Above this, a textual-inversion learning rate is a typo or a misunderstanding, not a choice. */
export const highestSaneLearningRate = 0.05;

/** The tutorial's advice on vectors per token. */
export function vectorsAdvice(vectors: number): string {
  if (vectors > 60) return `${vectors} vectors per token is refused: above 55 there is little difference and more than 60 is not worth it (more vectors need more steps and fill the 75-token prompt); use 6–25, or up to 55`;
  if (vectors <= 2) return `${vectors} vector(s) per token: only a vague outline; the character cannot be produced from its single tag (6 or more basically works)`;
  if (vectors <= 5) return `${vectors} vectors per token: clearer, but generating from the single tag is still poor (6 or more basically works)`;
  if (vectors <= 25) return `${vectors} vectors per token: single-tag generation basically works; between 6 and 25, more is better but trains slower`;
  return `${vectors} vectors per token: above 55 there is little difference; more vectors need more training steps`;
}
