// Reads caption files and PNG headers on a worker thread while the main thread parses what has
// arrived: on 10,000-image datasets the file system calls (open, read, close of every file) were
// a third of indexing, and a second core can make them while the first parses.
//
// The worker's code is a string run with `eval`: it needs nothing but node:fs, and so runs the
// same from the bundles (dist/) and from the TypeScript sources (tests), with no file to ship.
import { Worker } from 'node:worker_threads';

/** Files per message: small enough to start parsing early, large enough to keep messages few. */
const batchSize = 400;
/** The first message is smaller, so the main thread starts parsing soon after the worker starts. */
const firstBatchSize = 50;

export interface FileBatch {
  kind: 'captions' | 'pngs';
  /** Index of the batch's first file in its list. */
  start: number;
  /** Byte length of each file's data in `data`, or -1 when `problems` has it. */
  lengths: Int32Array;
  data: Uint8Array;
  /**
   * `[index in batch, 'size', bytes]` for a caption over the cap; `[index, 'error', code]` when
   * unreadable; `[index, 'incomplete', 0]` for a PNG that does not end with its IEND chunk.
   */
  problems: Array<[number, 'size' | 'error' | 'incomplete', number | string]>;
}

// Captions: up to the cap plus one byte (to know a file is over it, as the main-thread reader does).
// PNGs: the bytes through the type of the first IDAT, IEND or eXIf chunk, which is what the
// header parser reads (a few dozen bytes for most files), from a probe of `pngProbeBytes`.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync, fstatSync } = require('node:fs');
const { captions, pngs, maxCaptionBytes, pngProbeBytes, batchSize, firstBatchSize } = workerData;
const scratch = Buffer.allocUnsafe(Math.max(maxCaptionBytes + 1, pngProbeBytes));
function pngPrefix(n) {
  let offset = 8;
  while (offset + 8 <= n) {
    const type = scratch.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT' || type === 'IEND' || type === 'eXIf') return offset + 8;
    offset += 12 + scratch.readUInt32BE(offset);
  }
  return n;
}
const iend = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
const tail = Buffer.alloc(12);
function endsWithIend(fd) {
  const size = fstatSync(fd).size;
  return size >= 12 && readSync(fd, tail, 0, 12, size - 12) === 12 && tail.equals(iend);
}
function readBatch(kind, paths, start, size) {
  const count = Math.min(size, paths.length - start);
  const limit = kind === 'captions' ? maxCaptionBytes + 1 : pngProbeBytes;
  const lengths = new Int32Array(count);
  const problems = [];
  let data = Buffer.allocUnsafe(kind === 'captions' ? 64 * 1024 : 16 * 1024);
  let used = 0;
  for (let k = 0; k < count; k++) {
    let n = 0;
    try {
      const fd = openSync(paths[start + k], 'r');
      try {
        let r;
        while (n < limit && (r = readSync(fd, scratch, n, limit - n, n)) > 0) n += r;
        if (kind === 'captions' && n > maxCaptionBytes) {
          problems.push([k, 'size', fstatSync(fd).size]);
          lengths[k] = -1;
          continue;
        }
        if (kind === 'pngs' && !endsWithIend(fd)) {
          problems.push([k, 'incomplete', 0]);
          lengths[k] = -1;
          continue;
        }
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      problems.push([k, 'error', (error && (error.code || error.message)) || 'error']);
      lengths[k] = -1;
      continue;
    }
    if (kind === 'pngs') n = pngPrefix(n);
    if (used + n > data.length) {
      const grown = Buffer.allocUnsafe(Math.max(data.length * 2, used + n));
      data.copy(grown, 0, 0, used);
      data = grown;
    }
    scratch.copy(data, used, 0, n);
    used += n;
    lengths[k] = n;
  }
  const bytes = new Uint8Array(used);
  bytes.set(data.subarray(0, used));
  parentPort.postMessage({ kind, start, lengths, data: bytes, problems }, [bytes.buffer, lengths.buffer]);
  return count;
}
for (let start = 0; start < captions.length; ) start += readBatch('captions', captions, start, start === 0 ? firstBatchSize : batchSize);
for (let start = 0; start < pngs.length; ) start += readBatch('pngs', pngs, start, batchSize);
parentPort.postMessage({ kind: 'done' });
`;

export interface FileReadRequest {
  captions: readonly string[];
  pngs: readonly string[];
  maxCaptionBytes: number;
  pngProbeBytes: number;
}

/**
 * The files' bytes in batches, captions first, as the worker reads them. Throws if the worker
 * fails (the caller reads what did not arrive itself).
 */
export async function* readFilesOnWorker(request: FileReadRequest): AsyncGenerator<FileBatch> {
  const worker = new Worker(workerSource, { eval: true, workerData: { ...request, batchSize, firstBatchSize } });
  const queue: Array<FileBatch | { kind: 'done' } | { kind: 'failed'; error: Error }> = [];
  let wake: (() => void) | undefined;
  const push = (item: (typeof queue)[number]) => {
    queue.push(item);
    wake?.();
  };
  worker.on('message', (message: FileBatch | { kind: 'done' }) => push(message));
  worker.on('error', (error) => push({ kind: 'failed', error }));
  worker.on('exit', (code) => push({ kind: 'failed', error: new Error(`the file-reading worker stopped (exit code ${code})`) }));
  try {
    for (;;) {
      if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      const item = queue.shift()!;
      if (item.kind === 'done') return;
      if (item.kind === 'failed') throw item.error;
      yield item;
    }
  } finally {
    worker.removeAllListeners();
    void worker.terminate();
  }
}
