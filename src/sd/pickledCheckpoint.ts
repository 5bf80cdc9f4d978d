// Reads the tensor index of a PyTorch `.ckpt` / `.pt` / `.bin` (torch.save zip format) WITHOUT
// executing the pickle (src/sd/pickleReader): torch's tensor rebuilders become byte ranges of the
// zip (torch stores tensor data uncompressed), every other global stays an inert record. Only the
// directory and the pickle are read up front; tensors are read lazily by file offset like
// safetensors, so a multi-GB checkpoint is never held in memory whole.
import { closeSync, openSync } from 'node:fs';
import type { SafetensorsTensorInfo } from './safetensors';
import { dtypeItemSize, rawTensorToFloat32 } from './safetensors';
import { fileSource, zipEntryDataOffset } from './zipArchive';
import { openTorchArchive, readTorchPickle, TorchTensorRecord } from './torchArchive';
import { InertObject, pickleRefusal } from './pickleReader';

/** What checkpoint loading needs from any tensor container (safetensors or pickle). */
export interface TensorFile {
  path: string;
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsTensorInfo>;
  readFloat32(name: string): Float32Array;
  readRaw(name: string): Buffer;
  close(): void;
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/**
 * Opens a torch.save zip checkpoint (`.ckpt`, `.pt`, `.pth`, diffusers `.bin`) for lazy tensor
 * reads. The state dict is the top-level dict's `state_dict` entry when there is one.
 */
export function openPickledCheckpoint(path: string): TensorFile {
  const fail = (problem: string): never => {
    throw new Error(`${path}: ${problem}`);
  };
  let fd: number | undefined = openSync(path, 'r');
  try {
    let source = fileSource(fd);
    const archive = openTorchArchive(source, path);
    const root = readTorchPickle(archive, { otherCalls: 'inert' });
    // a pickle that is one call of something (posix.system, builtins.eval…) was never run: say what it asked for
    if (root instanceof InertObject) throw pickleRefusal(path, `the file calls ${root.global.path} instead of holding tensors (nothing was run)`);
    const stateDict = root instanceof Map && root.get('state_dict') instanceof Map ? (root.get('state_dict') as Map<unknown, unknown>) : root;
    if (!(stateDict instanceof Map)) return fail('the pickle does not hold a dict of tensors (a state_dict)');
    const storageOffsets = new Map<string, { offset: number; size: number }>();
    const tensors = new Map<string, SafetensorsTensorInfo>();
    for (const [key, value] of stateDict) {
      if (typeof key !== 'string' || !(value instanceof TorchTensorRecord)) continue;
      let storage = storageOffsets.get(value.storage.key);
      if (!storage) {
        const entry = archive.storageEntry(value.storage.key);
        if (!entry) return fail(`tensor \`${key}\`: its data (data/${value.storage.key}) is not in the zip`);
        if (entry.method !== 0) fail(`tensor \`${key}\`: its data is compressed; torch.save stores tensors uncompressed — re-save the checkpoint`);
        storage = { offset: zipEntryDataOffset(source, entry, path), size: entry.size };
        storageOffsets.set(value.storage.key, storage);
      }
      if (!isContiguous(value.shape, value.stride)) fail(`tensor \`${key}\` is not contiguous (a view); re-save the checkpoint with contiguous tensors or convert it to .safetensors`);
      const itemSize = dtypeItemSize[value.storage.dtype];
      const byteLength = value.shape.reduce((a, b) => a * b, 1) * itemSize;
      const begin = value.offset * itemSize;
      if (begin < 0 || begin + byteLength > storage.size) fail(`tensor \`${key}\` reaches past its storage — the file is damaged`);
      tensors.set(key, { name: key, dtype: value.storage.dtype, shape: value.shape, fileOffset: storage.offset + begin, byteLength });
    }
    if (tensors.size === 0) fail('no tensors found in the checkpoint');
    const readRaw = (name: string): Buffer => {
      const info = tensors.get(name);
      if (!info) throw new Error(`${path}: tensor \`${name}\` is not in this file`);
      if (fd === undefined) {
        fd = openSync(path, 'r');
        source = fileSource(fd);
      }
      return source.read(info.fileOffset, info.byteLength);
    };
    return {
      path,
      metadata: {},
      tensors,
      readRaw,
      readFloat32(name) {
        const info = tensors.get(name);
        const raw = readRaw(name);
        return rawTensorToFloat32(raw, info!.dtype);
      },
      close() {
        if (fd !== undefined) closeSync(fd);
        fd = undefined;
      },
    };
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    throw error;
  }
}
