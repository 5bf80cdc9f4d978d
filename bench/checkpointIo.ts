// Checkpoint I/O benchmark on a full SD1.5-shaped fp16 checkpoint with random weights (generated
// here, ~2.1 GB, deleted afterwards unless a path is given). Every figure is also printed as a
// ratio against plain sequential reads of the same file measured in the same run:
//   generation            vs writing the same number of bytes of zeros
//   header open           (absolute; it reads only the header)
//   readRaw all tensors   vs reading the whole file in 16 MiB chunks
//   readFloat32 all       vs the same chunked read (fp16 → fp32 conversion cost)
//   hashes (A1111)        vs the same chunked read
//   node --import tsx bench/checkpointIo.ts [existing.safetensors]
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRandomCheckpoint, sd15CheckpointConfig } from '../src/sd/randomCheckpoint';
import { openSafetensors } from '../src/sd/safetensors';
import { loadCheckpoint, checkpointHashes } from '../src/sd/checkpoint';

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(2);

function sequentialRead(path: string): number {
  const start = process.hrtime.bigint();
  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(16 * 2 ** 20);
  let position = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, position);
    if (n === 0) break;
    position += n;
  }
  closeSync(fd);
  return seconds(start);
}

function zerosWrite(path: string, bytes: number): number {
  const start = process.hrtime.bigint();
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 2 ** 20);
  for (let done = 0; done < bytes; done += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
  closeSync(fd);
  const elapsed = seconds(start);
  rmSync(path);
  return elapsed;
}

const given = process.argv[2];
const dir = given ? undefined : mkdtempSync(join(tmpdir(), 'checkpoint-io-'));
const path = given ?? join(dir!, 'sd15-random-fp16.safetensors');
try {
  let generation: number | undefined;
  if (!given) {
    const start = process.hrtime.bigint();
    writeRandomCheckpoint(path, sd15CheckpointConfig, 1);
    generation = seconds(start);
  }
  const size = statSync(path).size;
  const zeros = given ? undefined : zerosWrite(`${path}.zeros`, size);
  sequentialRead(path); // warm the page cache so both sides read from memory
  const reference = sequentialRead(path);

  let start = process.hrtime.bigint();
  const file = openSafetensors(path);
  const open = seconds(start);
  start = process.hrtime.bigint();
  let rawBytes = 0;
  for (const name of file.tensors.keys()) rawBytes += file.readRaw(name).length;
  const raw = seconds(start);
  start = process.hrtime.bigint();
  let values = 0;
  for (const name of file.tensors.keys()) values += file.readFloat32(name).length;
  const float32 = seconds(start);
  file.close();
  start = process.hrtime.bigint();
  loadCheckpoint(path).close();
  const load = seconds(start);
  start = process.hrtime.bigint();
  checkpointHashes(path);
  const hashing = seconds(start);

  console.log(`file: ${gib(size)} GiB, ${values.toLocaleString('en')} values; sequential read ${reference.toFixed(2)} s (${(size / 2 ** 30 / reference).toFixed(2)} GiB/s)`);
  if (generation !== undefined && zeros !== undefined) console.log(`generate random SD1.5 fp16   ${generation.toFixed(1)} s   ratio vs writing zeros ${(generation / zeros).toFixed(1)}`);
  console.log(`open (header only)           ${(open * 1000).toFixed(1)} ms`);
  console.log(`loadCheckpoint (kind, index) ${(load * 1000).toFixed(1)} ms`);
  console.log(`readRaw every tensor         ${raw.toFixed(2)} s   ratio vs sequential read ${(raw / reference).toFixed(2)} (${gib(rawBytes)} GiB)`);
  console.log(`readFloat32 every tensor     ${float32.toFixed(2)} s   ratio vs sequential read ${(float32 / reference).toFixed(2)}`);
  console.log(`A1111 hashes (sha256)        ${hashing.toFixed(2)} s   ratio vs sequential read ${(hashing / reference).toFixed(2)}`);
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
