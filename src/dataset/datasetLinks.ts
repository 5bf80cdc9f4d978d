// Symbolic links in a dataset folder, judged once for every command (lint, the caption server,
// train, preprocess, tag): a link that loops or names nothing is skipped with a message, and a
// link whose target lies outside the dataset folder is never read or written through (an edit
// applied through it would change a file outside the workspace). Links that stay inside are
// followed like the files they name.
import { promises as fs, lstatSync, realpathSync, readlinkSync, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';

export type LinkVerdict =
  | { kind: 'not-a-link' | 'inside'; isFile: boolean; isDirectory: boolean }
  | { kind: 'loop' | 'dangling' | 'outside' | 'unreadable'; message: string; /** What the link names, when known. */ isDirectory?: boolean };

/** True when `path` (a real path) is `root` (a real path) or lies under it. */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function problem(kind: 'loop' | 'dangling' | 'outside' | 'unreadable', displayName: string, detail: string): LinkVerdict {
  const messages = {
    loop: `${displayName} is a symbolic link that loops back on itself (${detail}); it is skipped. Delete the link or point it at a real file.`,
    dangling: `${displayName} is a symbolic link to ${detail}, which does not exist; it is skipped. Delete the link or point it at a real file.`,
    outside: `${displayName} is a symbolic link to ${detail}, outside the dataset folder: it is neither read nor edited through the link. Copy the file into the dataset folder instead.`,
    unreadable: `${displayName} could not be examined (${detail}); it is skipped. Check its permissions.`,
  } as const;
  return { kind, message: messages[kind] };
}

function targetText(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return 'its target';
  }
}

type Resolved = { target: string; isFile: boolean; isDirectory: boolean } | { error: unknown };

function judge(path: string, realRoot: string, displayName: string, isLink: boolean, resolved: Resolved): LinkVerdict {
  if ('error' in resolved) {
    const code = (resolved.error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return problem('loop', displayName, `${displayName} → ${targetText(path)} → …`);
    if (code === 'ENOENT') return problem('dangling', displayName, targetText(path));
    return problem('unreadable', displayName, code ?? (resolved.error as Error).message);
  }
  // a file that is no link itself may still lie in a linked folder that leaves the dataset
  if (!isWithin(realRoot, resolved.target)) return { ...problem('outside', displayName, resolved.target), isDirectory: resolved.isDirectory };
  return { kind: isLink ? 'inside' : 'not-a-link', isFile: resolved.isFile, isDirectory: resolved.isDirectory };
}

/** Judges `path` against the dataset whose real path is `realRoot` (synchronous: editor keystrokes, small folders). */
export function linkVerdictSync(path: string, realRoot: string, displayName = path): LinkVerdict {
  let isLink: boolean;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch (error) {
    return problem('unreadable', displayName, (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  let resolved: Resolved;
  try {
    const info = statSync(path);
    resolved = { target: realpathSync(path), isFile: info.isFile(), isDirectory: info.isDirectory() };
  } catch (error) {
    resolved = { error };
  }
  return judge(path, realRoot, displayName, isLink, resolved);
}

/** The same judgement without blocking (folder walks of large datasets). */
export async function linkVerdict(path: string, realRoot: string, displayName = path): Promise<LinkVerdict> {
  let isLink: boolean;
  try {
    isLink = (await fs.lstat(path)).isSymbolicLink();
  } catch (error) {
    return problem('unreadable', displayName, (error as NodeJS.ErrnoException).code ?? (error as Error).message);
  }
  let resolved: Resolved;
  try {
    const info = await fs.stat(path);
    resolved = { target: await fs.realpath(path), isFile: info.isFile(), isDirectory: info.isDirectory() };
  } catch (error) {
    resolved = { error };
  }
  return judge(path, realRoot, displayName, isLink, resolved);
}

/** The real path of a dataset folder, or the folder itself when it cannot be resolved. */
export function realRootOf(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

/**
 * For commands that list one folder (preprocess, tag): the message when `path` in `folder` is a
 * link no command may use (looping, dangling, or leaving the folder), else undefined.
 */
export function refusedLinkIn(folder: string, path: string, displayName = path): string | undefined {
  const verdict = linkVerdictSync(path, realRootOf(folder), displayName);
  return 'message' in verdict && verdict.kind !== 'unreadable' ? verdict.message : undefined;
}
