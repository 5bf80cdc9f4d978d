// How to run this command line again, for the commands it prints ("rerun with: …"): as
// `embedding-studio` when it was started by that name (an npm install's bin link), otherwise the
// way this process was started (`node bin/embedding-studio.js` from a checkout, or the sources
// through tsx). Paths are given relative to the folder the user is in (npm run sets INIT_CWD to
// it) when inside it, else absolute, and quoted for a POSIX shell where needed.
import { basename, isAbsolute, relative } from 'node:path';

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A path as the user can type it from where they are. */
export function displayPath(path: string, from: string = process.env.INIT_CWD || process.cwd()): string {
  const rel = relative(from, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** The words that start this CLI again. */
export function cliInvocation(argv: readonly string[] = process.argv, execArgv: readonly string[] = process.execArgv): string[] {
  const script = argv[1];
  if (!script || basename(script) === 'embedding-studio') return ['embedding-studio'];
  return ['node', ...execArgv, displayPath(script)];
}

/** A whole command line: this CLI, then `args` (paths among them given as the caller wants them shown). */
export function cliCommandLine(args: readonly string[]): string {
  return [...cliInvocation(), ...args].map(shellQuote).join(' ');
}
