// Prompt templates (A1111's textual_inversion_templates): one prompt per line, `[name]` becomes
// the embedding name and `[filewords]` the image's caption. Each image takes a random line (see
// loop.ts for when it is drawn). Lines are read as A1111 reads them (Python's readlines with
// universal newlines: `\n`, `\r\n` and a lone `\r` end a line; each line stripped) and, as
// there, an empty line is a prompt too: the empty prompt, drawn as often as any other line, which
// trains nothing (the embedding is not in it). The template check warns about such lines. We ship
// our own subject / subject_filewords / style / style_filewords files.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { UniformSource } from './randomSource';

export const shippedTemplateNames = ['subject', 'subject_filewords', 'style', 'style_filewords'] as const;

export interface PromptTemplate {
  name: string;
  path: string;
  lines: string[];
  /** What the template check found (empty lines), for the run's log. */
  warnings: string[];
}

/** The shipped templates folder, found from the source tree or from the bundle in dist/. */
export function shippedTemplatesFolder(): string {
  for (const candidate of [join(__dirname, '..', '..', 'templates'), join(__dirname, '..', 'templates')]) {
    if (existsSync(join(candidate, 'style_filewords.txt'))) return resolve(candidate);
  }
  throw new Error(`the shipped prompt templates were not found next to ${__dirname} (expected templates/style_filewords.txt); reinstall the extension or give a template file path`);
}

/** Loads a template by shipped name (`subject_filewords`) or by file path. */
export function loadPromptTemplate(nameOrPath: string): PromptTemplate {
  const isShipped = (shippedTemplateNames as readonly string[]).includes(nameOrPath);
  const path = isShipped ? join(shippedTemplatesFolder(), `${nameOrPath}.txt`) : resolve(nameOrPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`template "${nameOrPath}": cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); use one of ${shippedTemplateNames.join(', ')} or a .txt file with one prompt per line`);
  }
  return parsePromptTemplate(text, isShipped ? nameOrPath : path, path);
}

// Python's str.strip(): its whitespace (str.isspace) includes U+001C–U+001F and U+0085, not U+FEFF
const pythonStrip = /^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g;

export function parsePromptTemplate(text: string, name: string, path = name): PromptTemplate {
  const raw = text.split(/\r\n|\r|\n/);
  // readlines() has no line after a final line break
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  const lines = raw.map((l) => l.replace(pythonStrip, ''));
  if (lines.every((l) => l.length === 0)) throw new Error(`template ${path} has no prompt lines; write one prompt per line using [name] and optionally [filewords]`);
  const empty = lines.flatMap((l, i) => (l.length === 0 ? [i + 1] : []));
  const warnings =
    empty.length === 0
      ? []
      : [
          `template ${path}: ${empty.length === 1 ? `line ${empty[0]} is` : `lines ${empty.join(', ')} are`} empty; AUTOMATIC1111 and this trainer use an empty line as a prompt (the empty prompt, drawn ${empty.length} time(s) in ${lines.length}), which trains nothing — delete ${empty.length === 1 ? 'it' : 'them'}`,
        ];
  return { name, path, lines, warnings };
}

export function templateUsesFilewords(template: PromptTemplate): boolean {
  return template.lines.some((l) => l.includes('[filewords]'));
}

/** Fills one line: `[filewords]` first, then `[name]`, as A1111 does. */
export function fillPromptTemplate(line: string, embeddingName: string, filewords: string): string {
  return line.split('[filewords]').join(filewords).split('[name]').join(embeddingName);
}

/** A1111's random.choice over the lines: index floor(u·n). */
export function choosePromptLine(template: PromptTemplate, random: UniformSource): string {
  return template.lines[Math.min(template.lines.length - 1, Math.floor(random.uniform() * template.lines.length))];
}
