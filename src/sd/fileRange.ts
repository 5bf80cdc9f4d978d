// Reading a byte range of an open file, as checkpoints are read: by offsets, never whole. A
// short result means the file ended first (callers name that as truncation).
import { readSync } from 'node:fs';

export function readFileRange(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}
