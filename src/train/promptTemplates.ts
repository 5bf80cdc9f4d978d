// Prompt templates (A1111's textual_inversion_templates): one prompt per line, `[name]` becomes
// the embedding name and `[filewords]` the image's caption. Each training sample takes a random
// line. We ship our own subject / subject_filewords / style / style_filewords files.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { UniformSource } from './randomSource';

export const shippedTemplateNames = ['subject', 'subject_filewords', 'style', 'style_filewords'] as const;

export interface PromptTemplate {
  name: string;
  path: string;
  lines: string[];
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

export function parsePromptTemplate(text: string, name: string, path = name): PromptTemplate {
  // A1111 strips each line and drops empty ones.
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length === 0) throw new Error(`template ${path} has no prompt lines; write one prompt per line using [name] and optionally [filewords]`);
  return { name, path, lines };
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
