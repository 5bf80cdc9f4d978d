// Test fixtures for the linter: a dataset written to a temporary folder (captions as text,
// images as real PNGs made by sharp), caption text with inline expectations, and an
// independent edit applier (positions → offsets by splitting lines, not via the code under test).
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { DatasetIndex } from '../../src/dataset/datasetIndex';
import { LintSession, type LintConfig, type LintDiagnostic, type TextEdit } from '../../src/lint';

export interface ImageSpec {
  width: number;
  height: number;
}

export type DatasetSpec = Record<string, string | ImageSpec | Uint8Array>;

const pngCache = new Map<string, Buffer>();

export async function png(width: number, height: number): Promise<Buffer> {
  const key = `${width}x${height}`;
  let buffer = pngCache.get(key);
  if (!buffer) {
    buffer = await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 90 } } }).png().toBuffer();
    pngCache.set(key, buffer);
  }
  return buffer;
}

export async function writeDataset(spec: DatasetSpec, dir = mkdtempSync(join(tmpdir(), 'es-lint-'))): Promise<string> {
  for (const [name, content] of Object.entries(spec)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof content === 'string' || content instanceof Uint8Array) writeFileSync(path, content);
    else writeFileSync(path, await png(content.width, content.height));
  }
  return dir;
}

export function removeDataset(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface LintedFixture {
  dir: string;
  index: DatasetIndex;
  session: LintSession;
  diagnostics: LintDiagnostic[];
  /** Diagnostics of one file (relative name), optionally of one rule. */
  of(name: string, code?: string): LintDiagnostic[];
}

export async function lintFixture(spec: DatasetSpec, config: LintConfig = {}): Promise<LintedFixture> {
  const dir = await writeDataset(spec);
  const index = await DatasetIndex.build(dir);
  const session = new LintSession(index, config);
  const byFile = session.lintAll();
  const diagnostics = [...byFile.values()].flat();
  return {
    dir,
    index,
    session,
    diagnostics,
    of: (name, code) => (byFile.get(join(dir, name)) ?? []).filter((d) => code === undefined || d.code === code),
  };
}

/** `n` square 512 px images with these captions: `img0.png`/`img0.txt`, … */
export function captionedImages(captions: string[], size: ImageSpec = { width: 512, height: 512 }): DatasetSpec {
  const spec: DatasetSpec = {};
  captions.forEach((text, i) => {
    spec[`img${i}.png`] = size;
    spec[`img${i}.txt`] = text;
  });
  return spec;
}

/**
 * Inline expectations, markdownlint style: `1girl, leaf{vague-tag}, absurdres{meta-tag}` means
 * a `vague-tag` diagnostic starting at `leaf` and a `meta-tag` one at `absurdres`. Returns the
 * caption without markers and the expected (code, line, character) of each marker.
 */
export function parseExpectations(marked: string): { text: string; expected: string[] } {
  const expected: string[] = [];
  let text = '';
  let last = 0;
  for (const match of marked.matchAll(/\{([a-z-]+)\}/g)) {
    text += marked.slice(last, match.index);
    last = match.index! + match[0].length;
    // The tag the marker follows starts after the previous comma or line start.
    const lineStart = text.lastIndexOf('\n') + 1;
    const line = text.split('\n').length - 1;
    const separator = Math.max(text.lastIndexOf(','), lineStart - 1);
    let start = separator + 1;
    while (text[start] === ' ') start++;
    expected.push(`${match[1]}@${line}:${start - lineStart}`);
  }
  text += marked.slice(last);
  return { text, expected: expected.sort() };
}

export function found(diagnostics: LintDiagnostic[], codes?: string[]): string[] {
  return diagnostics
    .filter((d) => !codes || codes.includes(d.code))
    .map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}`)
    .sort();
}

/** Applies edits to one file's text, from the end backwards; positions are UTF-16 line/character. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split(/(?<=\r\n|\n|\r(?!\n))/);
  const offset = (line: number, character: number) => {
    let total = 0;
    for (let i = 0; i < line && i < lines.length; i++) total += lines[i].length;
    return total + character;
  };
  const spans = edits
    .map((e) => ({ start: offset(e.range.start.line, e.range.start.character), end: offset(e.range.end.line, e.range.end.character), text: e.newText }))
    .sort((a, b) => b.start - a.start);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].end > spans[i - 1].start) throw new Error(`overlapping edits at ${spans[i].start}`);
  }
  let result = text;
  for (const span of spans) result = result.slice(0, span.start) + span.text + result.slice(span.end);
  return result;
}

/** Writes the edits of one fix to disk (grouped by file), like an editor applying a workspace edit. */
export function applyFixToDisk(edits: TextEdit[]): string[] {
  const byFile = new Map<string, TextEdit[]>();
  for (const edit of edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  for (const [file, list] of byFile) writeFileSync(file, applyEdits(readFileSync(file, 'utf8'), list));
  return [...byFile.keys()];
}
