// Where to write a .onnx whose initialisers point into a checkpoint. ORT resolves external data
// relative to the model's folder and refuses absolute paths, `..` and symlinks leaving that
// folder, so the model goes next to the real checkpoint file, or (read-only folder) into a cache
// folder holding a hard link to the checkpoint. A multi-gigabyte copy is never made silently.
import { accessSync, constants, linkSync, mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface ModelPlacement {
  /** Where to write the .onnx. */
  modelPath: string;
  /** The `location` to give externalTensor(): the checkpoint's name as seen from modelPath's folder. */
  dataLocation: string;
  method: 'beside-checkpoint' | 'hard-link';
  /** The resolved checkpoint (symlinks, e.g. Hugging Face cache snapshots, followed). */
  checkpointRealPath: string;
}

export interface PlacementOptions {
  /** File name of the model, e.g. `unet-train.onnx`. */
  modelFileName: string;
  /** Our cache folder, used when the checkpoint's folder is not writable. Must be on the same file system. */
  cacheDir: string;
  /** 'auto' (default) prefers beside the checkpoint; the others force one method. */
  method?: 'auto' | 'beside-checkpoint' | 'hard-link';
}

function isWritableFolder(folder: string): boolean {
  try {
    accessSync(folder, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function placeModelForCheckpoint(checkpointPath: string, options: PlacementOptions): ModelPlacement {
  let real: string;
  try {
    real = realpathSync(checkpointPath);
  } catch (error) {
    throw new Error(`${checkpointPath}: cannot read the checkpoint (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path in the settings`);
  }
  const folder = dirname(real);
  const name = basename(real);
  const method = options.method ?? 'auto';
  if (method === 'beside-checkpoint' || (method === 'auto' && isWritableFolder(folder))) {
    return { modelPath: join(folder, options.modelFileName), dataLocation: name, method: 'beside-checkpoint', checkpointRealPath: real };
  }
  mkdirSync(options.cacheDir, { recursive: true });
  const link = join(options.cacheDir, name);
  const target = statSync(real);
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(link);
  } catch {
    existing = undefined;
  }
  if (existing && !(existing.ino === target.ino && existing.dev === target.dev)) {
    throw new Error(`${link} exists but is not a hard link of ${real}: remove it (it is in Embedding Studio's cache folder) and retry`);
  }
  if (!existing) {
    try {
      linkSync(real, link);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        `${real}: its folder is not writable and a hard link into ${options.cacheDir} failed (${code}). ` +
          `ONNX Runtime needs the model next to its weights. Make ${folder} writable, or point the cache folder at the same drive as the checkpoint, ` +
          `or copy the checkpoint to a writable folder yourself (it is ${(target.size / 2 ** 30).toFixed(1)} GiB).`,
      );
    }
  }
  return { modelPath: join(options.cacheDir, options.modelFileName), dataLocation: name, method: 'hard-link', checkpointRealPath: real };
}

/** Writes model bytes atomically (a half-written .onnx would crash ORT later, far from the cause). */
// (Written here rather than imported: `onnx` depends on nothing else of ours.)
export function writeModel(modelPath: string, bytes: Uint8Array): void {
  const temporary = `${modelPath}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, modelPath);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new Error(`could not write the ONNX model ${modelPath}: ${(error as Error).message}`);
  }
}
