// File paths <-> `file:` URIs. VS Code percent-encodes a few characters differently from Node
// (e.g. `:` in a Windows drive), so URIs the client sent are remembered and reused verbatim:
// a diagnostic published under another spelling of the same path would show up twice.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { normalize } from 'node:path';

export class FileUris {
  private readonly known = new Map<string, string>();

  /** The absolute path of a `file:` URI (and remember the client's spelling); undefined for other schemes. */
  toPath(uri: string): string | undefined {
    if (!uri.startsWith('file:')) return undefined;
    const path = normalize(fileURLToPath(uri));
    this.known.set(path, uri);
    return path;
  }

  toUri(path: string): string {
    return this.known.get(path) ?? pathToFileURL(path).href;
  }
}
