// Files are written atomically: to a temporary file in the same folder, flushed, then renamed
// over the target, so a crash or a full disk never leaves a half-written file behind.
// A kill between the write and the rename leaves the temporary file: removeStaleTemporaryFiles
// takes those away when a run starts or resumes.
import { promises as fs, writeFileSync, renameSync, unlinkSync, openSync, fsyncSync, closeSync, readdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** `.NAME.PID.STAMP.tmp` beside the target (also the form of the safetensors writer). */
export function temporaryPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/** The writing process of a temporary file of ours, or undefined for any other name. */
export function temporaryFileWriter(name: string): number | undefined {
  // ours (`.NAME.PID.STAMP.tmp`), and the ONNX model cache's (`NAME.PID.tmp`)
  const match = /^\..+\.(\d+)\.[0-9a-z]+\.tmp$/.exec(name) ?? /^[^.].*\.(\d+)\.tmp$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files in `dir` whose writer is gone (killed mid-write); returns their
 * names. Call it before this process writes into `dir`: a file carrying our own process id is
 * then one a previous process with the same id left.
 */
export function removeStaleTemporaryFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = temporaryFileWriter(name);
    if (pid === undefined || (pid !== process.pid && isRunning(pid))) continue;
    try {
      unlinkSync(join(dir, name));
      removed.push(name);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const tmp = temporaryPath(target);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, target);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw new Error(`could not write ${target}: ${(error as Error).message}`);
  }
}

export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  const tmp = temporaryPath(target);
  try {
    writeFileSync(tmp, data);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may never have been created
    }
    throw new Error(`could not write ${target}: ${(error as Error).message}`);
  }
}
