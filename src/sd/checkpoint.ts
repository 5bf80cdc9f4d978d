/**
 * Loading an SD1.x model for graph building: a single-file checkpoint (the AUTOMATIC1111 layout,
 * `.safetensors`, or a torch.save `.ckpt` read by the non-executing pickle reader) or a diffusers
 * folder (`.safetensors` or `.bin` components), behind one name space — the single-file names.
 *
 * API for graph builders:
 *   const ckpt = loadCheckpoint(path);            // throws a clear message for non-SD1 files
 *   ckpt.tensors.get('model.diffusion_model.out.2.weight')
 *     → { name, file, fileOffset, byteLength, dtype, shape }   // bytes at fileOffset in file,
 *                                                               // shape already the single-file shape
 *   ckpt.readFloat32(name) / ckpt.readRaw(name); ckpt.close();
 *   ckpt.alphasCumprod (the file's float32 buffer, if present); ckpt.hashes() (lazy, reads the file)
 * `ckpt` satisfies architecture.ts's `TensorShapes`, so inferSd1Architecture(ckpt) works on both layouts.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { openSafetensors, type SafetensorsTensorInfo } from './safetensors';
import { openPickledCheckpoint, type TensorFile } from './pickledCheckpoint';
import { detectModelKind, looksPickled, pickledCheckpointMessage, unsupportedModelMessage } from './modelKind';
import { diffusersUnetLayout, textEncoderNameFromDiffusers, unetNameFromDiffusers, vaeNameFromDiffusers } from './diffusersNames';

export interface CheckpointTensor extends SafetensorsTensorInfo {
  /** The file holding the bytes (one of `files`). */
  file: string;
}

export interface CheckpointHashes {
  /** sha256 of the whole file, hex (A1111's "sha256"). */
  sha256: string;
  /** First 10 hex digits of sha256: A1111's short hash, shown as `Model hash` in generation parameters. */
  shortHash: string;
  /** A1111's legacy model hash: sha256 of the 0x10000 bytes at offset 0x100000, first 8 hex digits. */
  legacyHash: string;
}

export interface NoiseScheduleConfig {
  linearStart: number;
  linearEnd: number;
  timesteps: number;
}

export interface Checkpoint {
  layout: 'single-file' | 'diffusers';
  kind: 'sd1';
  /** What the user chose: the .safetensors file or the diffusers folder. */
  path: string;
  /** A1111-style model name: file name without extension (folder name for diffusers). */
  name: string;
  files: string[];
  /** Keyed by single-file names (`model.diffusion_model.*`, `first_stage_model.*`, `cond_stage_model.transformer.text_model.*`). */
  tensors: Map<string, CheckpointTensor>;
  /** The checkpoint's own `alphas_cumprod` buffer, when it has one. */
  alphasCumprod?: Float32Array;
  /** A diffusers scheduler_config.json's scaled-linear parameters, when present. */
  scheduleConfig?: NoiseScheduleConfig;
  /** The diffusers `tokenizer/` folder, when the model has one. */
  tokenizerFolder?: string;
  metadata: Record<string, string>;
  readFloat32(name: string): Float32Array;
  readRaw(name: string): Buffer;
  /** Computed on first call (reads the whole file); for diffusers, hashes the UNet file. */
  hashes(): CheckpointHashes;
  close(): void;
}

/** A1111's hashes of a model file (see CheckpointHashes). */
export function checkpointHashes(file: string): CheckpointHashes {
  const fd = openSync(file, 'r');
  try {
    const full = createHash('sha256');
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    let position = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, position);
      if (n === 0) break;
      full.update(chunk.subarray(0, n));
      position += n;
    }
    const legacyBytes = Buffer.alloc(0x10000);
    const legacyRead = readSync(fd, legacyBytes, 0, 0x10000, 0x100000);
    const sha256 = full.digest('hex');
    return {
      sha256,
      shortHash: sha256.slice(0, 10),
      legacyHash: createHash('sha256').update(legacyBytes.subarray(0, legacyRead)).digest('hex').slice(0, 8),
    };
  } finally {
    closeSync(fd);
  }
}

const pickleExtensions = new Set(['.ckpt', '.pt', '.pth', '.bin', '.pkl']);

/** Opens an SD1.x model (file or diffusers folder), or throws a message that says what it is instead. */
export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new Error(`${path}: no such file or folder — check the model path setting`);
  let target = path;
  if (basename(path) === 'model_index.json') target = dirname(path);
  if (statSync(target).isDirectory()) return loadDiffusersFolder(target);
  return loadSingleFile(target, openTensorFile(target));
}

/** safetensors, or a torch.save zip read by the non-executing pickle reader. */
function openTensorFile(path: string): TensorFile {
  if (!pickleExtensions.has(extname(path).toLowerCase()) && !looksPickled(path)) return openSafetensors(path);
  try {
    return openPickledCheckpoint(path);
  } catch (error) {
    // a bomb or a damaged archive is no file to convert: say only what it is
    if (/not a plausible embedding or checkpoint/.test((error as Error).message)) throw error;
    throw new Error(pickledCheckpointMessage(path, (error as Error).message.replace(`${path}: `, '')));
  }
}

function finishTensors(path: string, tensors: Map<string, CheckpointTensor>): void {
  const detection = detectModelKind(tensors);
  const message = unsupportedModelMessage(path, detection);
  if (message) throw new Error(message);
}

function loadSingleFile(path: string, file: TensorFile): Checkpoint {
  try {
    const tensors = new Map<string, CheckpointTensor>();
    for (const info of file.tensors.values()) tensors.set(info.name, { ...info, file: path });
    // checkpoints saved with old transformers lack the `text_model.` level; alias to today's names
    for (const info of file.tensors.values()) {
      const m = /^cond_stage_model\.transformer\.(embeddings|encoder|final_layer_norm)\.(.+)$/.exec(info.name);
      if (m) {
        const alias = `cond_stage_model.transformer.text_model.${m[1]}.${m[2]}`;
        if (!tensors.has(alias)) tensors.set(alias, { ...info, name: alias, file: path });
      }
    }
    finishTensors(path, tensors);
    const alphasCumprod = file.tensors.has('alphas_cumprod') ? file.readFloat32('alphas_cumprod') : undefined;
    return makeCheckpoint({
      layout: 'single-file',
      path,
      name: basename(path, extname(path)),
      files: new Map([[path, file]]),
      tensors,
      alphasCumprod,
      metadata: file.metadata,
      hashFile: path,
    });
  } catch (error) {
    file.close();
    throw error;
  }
}

/** Weight files of one diffusers component, preferring full precision over `.fp16` variants. */
function componentFile(folder: string, component: string, stem: string): string {
  const dir = join(folder, component);
  for (const candidate of [`${stem}.safetensors`, `${stem}.fp16.safetensors`]) {
    if (existsSync(join(dir, candidate))) return join(dir, candidate);
  }
  for (const candidate of [`${stem}.bin`, `${stem}.fp16.bin`]) {
    if (existsSync(join(dir, candidate))) return join(dir, candidate);
  }
  throw new Error(`${folder}: diffusers folder without \`${component}/${stem}.safetensors\` — the download is incomplete; fetch the missing component (e.g. \`huggingface-cli download REPO ${component}/${stem}.safetensors\`)`);
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function loadDiffusersFolder(folder: string): Checkpoint {
  const index = readJson(join(folder, 'model_index.json'));
  const pipeline = typeof index?._class_name === 'string' ? index._class_name : undefined;
  if (pipeline && /XL/.test(pipeline)) {
    throw new Error(`${basename(folder)}: this is an SDXL diffusers model (${pipeline} in model_index.json); Embedding Studio trains SD1.x embeddings only for now — choose an SD1.x model`);
  }
  if (!existsSync(join(folder, 'unet')) && !index) {
    throw new Error(`${folder}: a folder, but not a diffusers model (no model_index.json, no unet/) — choose a .safetensors checkpoint file or a diffusers model folder`);
  }
  const unetPath = componentFile(folder, 'unet', 'diffusion_pytorch_model');
  const vaePath = componentFile(folder, 'vae', 'diffusion_pytorch_model');
  const textPath = componentFile(folder, 'text_encoder', 'model');
  const opened = new Map<string, TensorFile>();
  try {
    for (const p of [unetPath, vaePath, textPath]) opened.set(p, openTensorFile(p));
    const tensors = new Map<string, CheckpointTensor>();
    const unknown: string[] = [];
    const unetFile = opened.get(unetPath)!;
    let layout: ReturnType<typeof diffusersUnetLayout>;
    try {
      layout = diffusersUnetLayout(unetFile.tensors.keys());
    } catch (error) {
      throw new Error(`${unetPath}: ${(error as Error).message} — this is not an SD1.x diffusers UNet; point the model setting at the folder of an SD1.x diffusers model or at a single-file .safetensors`);
    }
    for (const info of unetFile.tensors.values()) {
      const original = unetNameFromDiffusers(info.name, layout);
      if (original) tensors.set(original, { ...info, name: original, file: unetPath });
      else unknown.push(`unet/${info.name}`);
    }
    const vaeFile = opened.get(vaePath)!;
    const upLevels = new Set([...vaeFile.tensors.keys()].map((n) => /^decoder\.up_blocks\.(\d+)\./.exec(n)?.[1]).filter((x) => x !== undefined)).size;
    for (const info of vaeFile.tensors.values()) {
      const mapped = vaeNameFromDiffusers(info.name, upLevels);
      if (mapped) tensors.set(mapped.original, { ...info, name: mapped.original, shape: mapped.reshapeTo ? mapped.reshapeTo(info.shape) : info.shape, file: vaePath });
      else unknown.push(`vae/${info.name}`);
    }
    const textFile = opened.get(textPath)!;
    for (const info of textFile.tensors.values()) {
      const original = textEncoderNameFromDiffusers(info.name);
      if (original) tensors.set(original, { ...info, name: original, file: textPath });
      else unknown.push(`text_encoder/${info.name}`);
    }
    const textWidth = tensors.get('cond_stage_model.transformer.text_model.final_layer_norm.weight')?.shape[0];
    if (textWidth === 1024) {
      throw new Error(`${basename(folder)}: this looks like a Stable Diffusion 2.x diffusers model (a 1024-wide text encoder); SD2.x support is planned — for now choose an SD1.x model`);
    }
    if (unknown.length > 0) {
      throw new Error(`${basename(folder)}: tensors not in the SD1.x diffusers layout: ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ''} — this is not an SD1.x model, or a layout we do not know yet; a single-file .safetensors export of the model works`);
    }
    finishTensors(folder, tensors);
    const scheduler = readJson(join(folder, 'scheduler', 'scheduler_config.json'));
    let scheduleConfig: NoiseScheduleConfig | undefined;
    if (scheduler && scheduler.beta_schedule === 'scaled_linear' && typeof scheduler.beta_start === 'number' && typeof scheduler.beta_end === 'number') {
      scheduleConfig = {
        linearStart: scheduler.beta_start,
        linearEnd: scheduler.beta_end,
        timesteps: typeof scheduler.num_train_timesteps === 'number' ? scheduler.num_train_timesteps : 1000,
      };
    }
    const tokenizerFolder = join(folder, 'tokenizer');
    return makeCheckpoint({
      layout: 'diffusers',
      path: folder,
      name: basename(folder),
      files: opened,
      tensors,
      scheduleConfig,
      tokenizerFolder: existsSync(join(tokenizerFolder, 'merges.txt')) ? tokenizerFolder : undefined,
      metadata: unetFile.metadata,
      hashFile: unetPath,
    });
  } catch (error) {
    for (const file of opened.values()) file.close();
    throw error;
  }
}

function makeCheckpoint(parts: {
  layout: Checkpoint['layout'];
  path: string;
  name: string;
  files: Map<string, TensorFile>;
  tensors: Map<string, CheckpointTensor>;
  alphasCumprod?: Float32Array;
  scheduleConfig?: NoiseScheduleConfig;
  tokenizerFolder?: string;
  metadata: Record<string, string>;
  hashFile: string;
}): Checkpoint {
  let cachedHashes: CheckpointHashes | undefined;
  const tensorOf = (name: string): CheckpointTensor => {
    const tensor = parts.tensors.get(name);
    if (!tensor) throw new Error(`${parts.path}: tensor \`${name}\` is missing from this checkpoint`);
    return tensor;
  };
  // file tensors are looked up by their own (stored) names: find it by offset
  const storedName = (tensor: CheckpointTensor): string => {
    const file = parts.files.get(tensor.file)!;
    for (const info of file.tensors.values()) if (info.fileOffset === tensor.fileOffset && info.byteLength === tensor.byteLength) return info.name;
    throw new Error(`${tensor.file}: tensor \`${tensor.name}\` not found`);
  };
  const storedNames = new Map<string, string>();
  const stored = (tensor: CheckpointTensor): string => {
    let name = storedNames.get(tensor.name);
    if (!name) {
      name = parts.files.get(tensor.file)!.tensors.has(tensor.name) ? tensor.name : storedName(tensor);
      storedNames.set(tensor.name, name);
    }
    return name;
  };
  return {
    layout: parts.layout,
    kind: 'sd1',
    path: parts.path,
    name: parts.name,
    files: [...parts.files.keys()],
    tensors: parts.tensors,
    alphasCumprod: parts.alphasCumprod,
    scheduleConfig: parts.scheduleConfig,
    tokenizerFolder: parts.tokenizerFolder,
    metadata: parts.metadata,
    readFloat32(name) {
      const tensor = tensorOf(name);
      return parts.files.get(tensor.file)!.readFloat32(stored(tensor));
    },
    readRaw(name) {
      const tensor = tensorOf(name);
      return parts.files.get(tensor.file)!.readRaw(stored(tensor));
    },
    hashes() {
      cachedHashes ??= checkpointHashes(parts.hashFile);
      return cachedHashes;
    },
    close() {
      for (const file of parts.files.values()) file.close();
    },
  };
}
