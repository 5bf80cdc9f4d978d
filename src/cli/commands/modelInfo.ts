// `embedding-studio model-info PATH [--hash] [--json]`: what a model file or diffusers folder is
// (or why it cannot be used), its architecture read off the weights, and A1111's hashes.
import { existsSync, statSync } from 'node:fs';
import type { CliCommand } from '../cliCommand';
import { loadCheckpoint, type Checkpoint, type CheckpointHashes } from '../../sd/checkpoint';
import { openSafetensors } from '../../sd/safetensors';
import { inferSd1Architecture, type Sd1Architecture } from '../../sd/architecture';
import { findNonFiniteGraphWeight, nonFiniteWeightMessage } from '../../sd/nonFiniteWeights';
import { parseCommandArguments } from '../commandArguments';
import { detectModelKind } from '../../sd/modelKind';
import { readEmbeddingFile } from '../../train/embeddingFile';
import { embeddingFileHash } from '../../train/embeddingHash';

/** Whether PATH should be read as an embedding: a .pt/.bin/.png file, or a .safetensors whose tensors say so. */
function looksLikeEmbedding(path: string): boolean {
  if (!statSync(path).isFile()) return false;
  const lower = path.toLowerCase();
  if (lower.endsWith('.png') || lower.endsWith('.pt') || lower.endsWith('.bin')) return true;
  if (!lower.endsWith('.safetensors')) return false;
  const file = openSafetensors(path);
  try {
    return detectModelKind(file.tensors).kind === 'embedding';
  } finally {
    file.close();
  }
}

function describeEmbedding(path: string, json: boolean): string {
  const embedding = readEmbeddingFile(path);
  const hash = embeddingFileHash(path);
  const info = { path, kind: 'embedding', name: embedding.name, vectors: embedding.count, width: embedding.width, step: embedding.step, checkpointHash: embedding.checkpointHash, checkpointName: embedding.checkpointName, sha256: hash.sha256, hash: hash.shortHash };
  if (json) return JSON.stringify(info) + '\n';
  return [
    `${path}: a textual-inversion embedding`,
    `  name:        ${embedding.name}`,
    `  vectors:     ${embedding.count} × ${embedding.width}${embedding.width === 768 ? ' (SD1.x)' : ''}`,
    `  step:        ${embedding.step ?? 'unknown'}`,
    `  trained on:  ${embedding.checkpointName ?? 'unknown'}${embedding.checkpointHash ? ` [${embedding.checkpointHash}]` : ''}`,
    `  A1111 hash:  ${hash.shortHash} (sha256 ${hash.sha256})`,
    '',
  ].join('\n');
}

const usage = `Usage: embedding-studio model-info PATH [--hash] [--json] [--text-heads N] [--unet-heads N]

Describes an SD1.x checkpoint (.safetensors file or diffusers folder): layout, tensor dtypes,
the architecture read off the weights, parameter counts and the noise schedule. Files that are
not SD1.x models (SDXL, SD2, LoRA, VAE, pickles) are named, with what to use instead.
An embedding (.safetensors, .pt, or a PNG carrying one) is described instead: its name, vectors,
width, step, the checkpoint it was trained on, and AUTOMATIC1111's hash (sha256 of the file, the
first 12 digits as A1111 shows them).
  --hash          also compute AUTOMATIC1111's hashes (reads the whole file)
  --json          one JSON object on stdout
  --text-heads N  CLIP attention heads (not in the weights; default 12)
  --unet-heads N  UNet attention heads (not in the weights; default 8)
Every weight the graphs use is checked for NaN and infinities (a damaged model is named as such).
Exit status: 0 an SD1.x model, 1 not one or damaged (the reason is printed), 2 bad usage or unreadable file.
`;

interface ModelInfo {
  path: string;
  name: string;
  layout: Checkpoint['layout'];
  files: string[];
  dtypes: Record<string, number>;
  parameters: { unet: number; vae: number; textEncoder: number };
  architecture: Sd1Architecture;
  /** Set when SD1's default head counts do not fit this model's widths (heads are not in the weights). */
  headsNote?: string;
  schedule: 'checkpoint alphas_cumprod' | 'diffusers scheduler_config.json' | 'SD1 default';
  tokenizerFolder?: string;
  hashes?: CheckpointHashes;
}

function architectureOf(checkpoint: Checkpoint, heads: { textHeads?: number; unetHeads?: number }): { architecture: Sd1Architecture; headsNote?: string } {
  try {
    return { architecture: inferSd1Architecture(checkpoint, heads) };
  } catch (error) {
    if (!/attention heads|heads/.test((error as Error).message)) throw error;
    // a small or unusual model: show the shapes anyway, with 1 head where the default did not fit
    return {
      architecture: inferSd1Architecture(checkpoint, { textHeads: heads.textHeads ?? 1, unetHeads: heads.unetHeads ?? 1 }),
      headsNote: `${(error as Error).message.replace(/^.*?: /, '')} Head counts shown as 1; pass --text-heads/--unet-heads.`,
    };
  }
}

function describe(checkpoint: Checkpoint, heads: { textHeads?: number; unetHeads?: number }, hash: boolean): ModelInfo {
  const dtypes: Record<string, number> = {};
  const parameters = { unet: 0, vae: 0, textEncoder: 0 };
  for (const tensor of checkpoint.tensors.values()) {
    dtypes[tensor.dtype] = (dtypes[tensor.dtype] ?? 0) + 1;
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (tensor.name.startsWith('model.diffusion_model.')) parameters.unet += count;
    else if (tensor.name.startsWith('first_stage_model.')) parameters.vae += count;
    else if (tensor.name.startsWith('cond_stage_model.transformer.text_model.') && !tensor.name.endsWith('position_ids')) parameters.textEncoder += count;
  }
  return {
    path: checkpoint.path,
    name: checkpoint.name,
    layout: checkpoint.layout,
    files: checkpoint.files,
    dtypes,
    parameters,
    ...architectureOf(checkpoint, heads),
    schedule: checkpoint.alphasCumprod ? 'checkpoint alphas_cumprod' : checkpoint.scheduleConfig ? 'diffusers scheduler_config.json' : 'SD1 default',
    tokenizerFolder: checkpoint.tokenizerFolder,
    hashes: hash ? checkpoint.hashes() : undefined,
  };
}

function formatText(info: ModelInfo): string {
  const a = info.architecture;
  const millions = (n: number): string => `${(n / 1e6).toFixed(2)}M`;
  const lines = [
    `model         ${info.path}`,
    `name          ${info.name}`,
    `kind          Stable Diffusion 1.x (${info.layout}${info.layout === 'diffusers' ? `, ${info.files.length} files` : ''})`,
    `tensors       ${Object.entries(info.dtypes).map(([dtype, n]) => `${n} ${dtype}`).join(', ')}`,
    `text encoder  width ${a.textEncoder.width}, ${a.textEncoder.layers} layers, MLP ${a.textEncoder.mlpWidth}, ${a.textEncoder.heads} heads, ${a.textEncoder.positions} positions — ${millions(info.parameters.textEncoder)} parameters`,
    `UNet          ${a.unet.modelChannels} channels × [${a.unet.channelMult.join(', ')}], ${a.unet.numResBlocks} res blocks per level, attention [${a.unet.levels.map((l) => (l.attention ? 'yes' : 'no')).join(', ')}], context ${a.unet.contextDim}, ${a.unet.heads} heads — ${millions(info.parameters.unet)} parameters`,
    `VAE           ${a.vae.ch} channels × [${a.vae.chMult.join(', ')}], ${a.vae.numResBlocks} res blocks, latent ${a.vae.zChannels} channels at 1/${a.vae.downscale} size — ${millions(info.parameters.vae)} parameters`,
    `schedule      ${info.schedule}`,
  ];
  if (info.headsNote) lines.push(`note          ${info.headsNote}`);
  if (info.tokenizerFolder) lines.push(`tokenizer     ${info.tokenizerFolder}`);
  if (info.hashes) {
    lines.push(`hash          ${info.hashes.shortHash} (A1111 "Model hash"), legacy ${info.hashes.legacyHash}`);
    lines.push(`sha256        ${info.hashes.sha256}`);
  }
  return lines.join('\n') + '\n';
}

export const modelInfoCommand: CliCommand = {
  name: 'model-info',
  summary: 'Describe an SD1.x checkpoint (or say what the file is instead), with A1111 hashes',
  async run(args) {
    const parsed = parseCommandArguments('model-info', usage, args, {
      hash: { type: 'boolean' },
      json: { type: 'boolean' },
      'text-heads': { type: 'string' },
      'unet-heads': { type: 'string' },
    });
    if (typeof parsed === 'number') return parsed;
    const [path, ...extra] = parsed.positionals;
    if (!path || extra.length > 0) {
      process.stderr.write(`embedding-studio model-info: give exactly one model file or folder\n\n${usage}`);
      return 2;
    }
    const heads: { textHeads?: number; unetHeads?: number } = {};
    for (const [flag, key] of [['text-heads', 'textHeads'], ['unet-heads', 'unetHeads']] as const) {
      const value = parsed.values[flag];
      if (value === undefined) continue;
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) {
        process.stderr.write(`embedding-studio model-info: --${flag} must be a positive integer, got ${value}\n`);
        return 2;
      }
      heads[key] = n;
    }
    if (!existsSync(path)) {
      process.stderr.write(`embedding-studio model-info: ${path} does not exist\n`);
      return 2;
    }
    if (statSync(path).isFile() && path.toLowerCase().endsWith('.safetensors')) {
      // a damaged file is "unreadable" (2), not "not a model" (1)
      try {
        openSafetensors(path).close();
      } catch (error) {
        process.stderr.write(`embedding-studio model-info: ${(error as Error).message}\n`);
        return 2;
      }
    }
    let embeddingError: Error | undefined;
    try {
      if (looksLikeEmbedding(path)) {
        process.stdout.write(describeEmbedding(path, parsed.values.json === true));
        return 0;
      }
    } catch (error) {
      embeddingError = error as Error;
    }
    // a .pt or .bin that is no embedding may be a pickled checkpoint: the checkpoint reader says what it is
    if (embeddingError && /\.png$/i.test(path)) {
      process.stderr.write(`embedding-studio model-info: ${embeddingError.message}\n`);
      return 1;
    }
    let checkpoint: Checkpoint;
    try {
      checkpoint = loadCheckpoint(path);
    } catch (error) {
      process.stderr.write(`embedding-studio model-info: ${(error as Error).message}\n`);
      return 1;
    }
    try {
      // NaN or infinite weights make everything trained on the model NaN: say so here, naming the tensor
      const damaged = findNonFiniteGraphWeight(checkpoint.tensors);
      if (damaged) {
        process.stderr.write(`embedding-studio model-info: ${nonFiniteWeightMessage(checkpoint.path, damaged)}\n`);
        return 1;
      }
      const info = describe(checkpoint, heads, parsed.values.hash === true);
      process.stdout.write(parsed.values.json ? JSON.stringify(info) + '\n' : formatText(info));
      return 0;
    } catch (error) {
      process.stderr.write(`embedding-studio model-info: ${(error as Error).message}\n`);
      return 1;
    } finally {
      checkpoint.close();
    }
  },
};
