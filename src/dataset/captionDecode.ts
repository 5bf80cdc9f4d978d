// Turning a caption file's bytes into text, refusing what is not a caption: binary files (NUL
// bytes), text that is not UTF-8, and files far larger than any tag list. Every reader of
// captions (the dataset index for lint, the server and training; tagging; preprocessing)
// decides with decodeCaptionBytes, so they all give one verdict.
import { promises as fs } from 'node:fs';

export const maxCaptionBytes = 256 * 1024;

export type CaptionDecodeResult = { ok: true; text: string } | { ok: false; problem: string };

/** One strict decoder for every caption (it keeps no state between `decode` calls). */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** `displayName` may be a function: the name is only needed for a problem, and costs path work. */
export function decodeCaptionBytes(bytes: Uint8Array, name: string | (() => string)): CaptionDecodeResult {
  const displayName = typeof name === 'function' ? name : () => name;
  if (bytes.length > maxCaptionBytes) return { ok: false, problem: captionTooLargeMessage(displayName(), bytes.length) };
  // A NUL byte never appears in UTF-8 text; UTF-16 files and binaries are full of them.
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
    return {
      ok: false,
      problem: utf16
        ? `${displayName()} is UTF-16 text; AUTOMATIC1111 reads captions as UTF-8. Re-save it as UTF-8.`
        : `${displayName()} looks binary (NUL byte at offset ${nul}); a caption must be UTF-8 text. Rename or move the file if it is not a caption.`,
    };
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    return {
      ok: false,
      problem: `${displayName()} is not valid UTF-8 (invalid byte 0x${bytes[at].toString(16).padStart(2, '0')} at offset ${at}); re-save it as UTF-8 so AUTOMATIC1111 reads the same tags.`,
    };
  }
  // Editors do not show the byte-order mark; strip it so positions match theirs.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { ok: true, text };
}

/** The verdict on a file over the caption cap, in every reader's words. */
export function captionTooLargeMessage(displayName: string, size: number): string {
  return `${displayName} is ${formatBytes(size)}; a caption is a short tag list (a few KB at most), so it was not read. Move other text files out of the dataset folder.`;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.round(n / 1024)} KB`;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid too.
    const second = bytes[i + 1];
    if ((b === 0xe0 && second < 0xa0) || (b === 0xed && second > 0x9f) || (b === 0xf0 && second < 0x90) || (b === 0xf4 && second > 0x8f)) return i;
    i += need + 1;
  }
  return Math.max(0, bytes.length - 1);
}

/**
 * Reads a caption file as every command does: never more than the cap, then decodeCaptionBytes.
 * `missing` when there is no such file.
 */
export async function readCaptionFile(path: string, displayName: string = path): Promise<CaptionDecodeResult | { ok: false; missing: true; problem: string }> {
  let handle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, missing: true, problem: `${displayName} does not exist` };
    return { ok: false, problem: `${displayName} could not be read (${code ?? (error as Error).message}); check its permissions.` };
  }
  try {
    const size = (await handle.stat()).size;
    if (size > maxCaptionBytes) return { ok: false, problem: captionTooLargeMessage(displayName, size) };
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    return decodeCaptionBytes(buffer.subarray(0, bytesRead), displayName);
  } catch (error) {
    return { ok: false, problem: `${displayName} could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check its permissions.` };
  } finally {
    await handle.close();
  }
}
