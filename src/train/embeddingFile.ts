// Embedding files. Written: `.safetensors` with one tensor `emb_params` [vectors, width] (the
// form A1111, ComfyUI and kohya all load) and metadata name/step/checkpoint, and optionally
// A1111's `.pt` ({string_to_token: {'*': 265}, string_to_param: {'*': tensor}, name, step,
// sd_checkpoint, sd_checkpoint_name}, a torch zip pickle). Read: A1111 `.pt` (never executing
// pickle code), `.safetensors` with `emb_params` (kohya/A1111), `emp_params` (OneTrainer), a
// single {placeholder: tensor} (diffusers) or any single-tensor file, and A1111's PNG embeddings
// (its `sd-ti-embedding` text chunk or its pixel border, see pngEmbedding.ts).
import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { openSafetensors, writeSafetensors } from '../sd/safetensors';
import { writeFileAtomicSync } from '../dataset/atomicWrite';
import { isPng, readPngEmbedding } from './pngEmbedding';
import { decodeTorchSave, encodeTorchSave, isLoadedTensor, TorchTensor, unwrapParameterDict, type LoadedTensor } from './torchPickle';

export interface Embedding {
  name: string;
  /** Row-major [count, width]. */
  vectors: Float32Array;
  count: number;
  width: number;
  /** Steps trained (the step named in the file name); null when unknown. */
  step: number | null;
  checkpointHash: string | null;
  checkpointName: string | null;
}

/** Larger files are refused before they are read (an embedding of 75 vectors × 1024 floats is 300 KB). */
export const maxEmbeddingFileBytes = 64 * 2 ** 20;

/** A1111 writes '*' → 265 (the CLIP token id of '*'); kept for compatibility. */
const a1111PlaceholderToken = 265;

export function writeEmbeddingSafetensors(path: string, embedding: Embedding): void {
  checkShape(embedding);
  const metadata: Record<string, string> = { name: embedding.name, format: 'pt' };
  if (embedding.step !== null) metadata.step = String(embedding.step);
  if (embedding.checkpointHash) metadata.sd_checkpoint = embedding.checkpointHash;
  if (embedding.checkpointName) metadata.sd_checkpoint_name = embedding.checkpointName;
  writeSafetensors(path, [{ name: 'emb_params', dtype: 'F32', shape: [embedding.count, embedding.width], data: embedding.vectors }], metadata);
}

export function encodeEmbeddingPt(embedding: Embedding): Buffer {
  checkShape(embedding);
  return encodeTorchSave({
    string_to_token: { '*': a1111PlaceholderToken },
    string_to_param: { '*': new TorchTensor([embedding.count, embedding.width], embedding.vectors) },
    name: embedding.name,
    step: embedding.step ?? 0,
    sd_checkpoint: embedding.checkpointHash,
    sd_checkpoint_name: embedding.checkpointName,
  });
}

export function writeEmbeddingPt(path: string, embedding: Embedding): void {
  writeFileAtomicSync(path, encodeEmbeddingPt(embedding));
}

function checkShape(embedding: Embedding): void {
  if (embedding.vectors.length !== embedding.count * embedding.width) {
    throw new Error(`embedding ${embedding.name}: ${embedding.vectors.length} values do not make ${embedding.count} vectors of width ${embedding.width}`);
  }
}

function fromTensor(path: string, tensor: LoadedTensor, name: string, step: number | null, hash: string | null, checkpointName: string | null, key: string): Embedding {
  let shape = tensor.shape;
  if (shape.length === 1) shape = [1, shape[0]];
  if (shape.length === 3 && shape[0] === 1) shape = shape.slice(1);
  if (shape.length !== 2) throw new Error(`${path}: tensor \`${key}\` has shape [${tensor.shape}], expected [vectors, width]`);
  void key;
  return { name, vectors: tensor.data, count: shape[0], width: shape[1], step, checkpointHash: hash, checkpointName };
}

/** Reads an embedding from .safetensors, .pt, .bin (torch zip) files. */
export function readEmbeddingFile(path: string): Embedding {
  const fallbackName = basename(path, extname(path));
  const extension = extname(path).toLowerCase();
  if (extension === '.safetensors') {
    const file = openSafetensors(path);
    try {
      const names = [...file.tensors.keys()];
      const key = names.includes('emb_params') ? 'emb_params' : names.includes('emp_params') ? 'emp_params' : names.length === 1 ? names[0] : null;
      if (key === null) {
        const sdxl = names.includes('clip_l') || names.includes('clip_g');
        throw new Error(
          `${path}: no embedding tensor found (tensors: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}) — ` +
            (sdxl ? 'this is an SDXL embedding (clip_l/clip_g); SD1.x only for now' : 'expected `emb_params`, `emp_params` or a single tensor'),
        );
      }
      const info = file.tensors.get(key)!;
      if (info.byteLength > maxEmbeddingFileBytes) throw new Error(`${path}: tensor \`${key}\` of shape [${info.shape}] is no embedding (embeddings are a few vectors of 768 values) — is it a model file? Give an embedding file`);
      const tensor = { shape: info.shape, data: file.readFloat32(key) };
      const step = file.metadata.step !== undefined && /^\d+$/.test(file.metadata.step) ? Number(file.metadata.step) : null;
      return fromTensor(path, tensor, file.metadata.name ?? fallbackName, step, file.metadata.sd_checkpoint ?? null, file.metadata.sd_checkpoint_name ?? null, key);
    } finally {
      file.close();
    }
  }
  let bytes: Buffer;
  try {
    // an embedding is a few KB (a few MB at most): a larger file is something else, never read whole
    const size = statSync(path).size;
    if (size > maxEmbeddingFileBytes) {
      throw new Error(`${path}: ${(size / 2 ** 20).toFixed(0)} MB is no embedding (they are a few KB to a few MB) — is it a model checkpoint? Give an embedding file (.pt or .safetensors)`);
    }
    bytes = readFileSync(path);
  } catch (error) {
    if (!(error as NodeJS.ErrnoException).code) throw error;
    throw new Error(`${path}: cannot read the embedding (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (isPng(bytes)) {
    const png = readPngEmbedding(bytes, path);
    return { name: png.name ?? fallbackName, vectors: png.vectors, count: png.count, width: png.width, step: png.step, checkpointHash: png.checkpointHash, checkpointName: png.checkpointName };
  }
  if (['.png', '.webp', '.jpg', '.jpeg', '.avif', '.jxl'].includes(extension)) {
    throw new Error(`${path}: not a PNG file; embeddings are read from PNG images only (A1111's sd-ti-embedding text chunk or its pixel border), not from ${extension} images — use the embedding's .pt or .safetensors file, or the PNG preview`);
  }
  const root = decodeTorchSave(bytes, path);
  if (!(root instanceof Map)) throw new Error(`${path}: the pickle holds no dict; not an embedding file`);
  const asString = (v: unknown) => (typeof v === 'string' ? v : null);
  if (root.has('string_to_param')) {
    const params = unwrapParameterDict(root.get('string_to_param'));
    if (!(params instanceof Map) || params.size !== 1) throw new Error(`${path}: string_to_param should hold exactly one tensor`);
    const tensor = [...params.values()][0];
    if (!isLoadedTensor(tensor)) throw new Error(`${path}: string_to_param does not hold a tensor`);
    const step = typeof root.get('step') === 'number' ? (root.get('step') as number) : null;
    return fromTensor(path, tensor, asString(root.get('name')) ?? fallbackName, step, asString(root.get('sd_checkpoint')), asString(root.get('sd_checkpoint_name')), 'string_to_param');
  }
  const tensors = [...root.entries()].filter(([, v]) => isLoadedTensor(v));
  const named = tensors.find(([k]) => k === 'emb_params' || k === 'emp_params');
  const chosen = named ?? (tensors.length === 1 ? tensors[0] : undefined);
  if (!chosen) throw new Error(`${path}: no embedding tensor found (expected string_to_param, emb_params or a single tensor)`);
  return fromTensor(path, chosen[1] as LoadedTensor, fallbackName, null, null, null, String(chosen[0]));
}
