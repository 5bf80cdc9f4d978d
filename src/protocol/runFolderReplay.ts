// Rebuilds the monitor's event sequence from a run folder the trainer wrote, so a finished (or
// interrupted) run can be reopened in the monitor without retraining: `run-config.json`,
// `textual_inversion_loss.csv` (A1111's columns), `embeddings/NAME-STEP.safetensors` and the
// final `NAME.safetensors`, `images/NAME-STEP[-i].png` with A1111's `parameters` text chunk.
// What the folder does not record (speed, memory, guidance, preview differences) is left out
// rather than made up. No vscode import: the extension host and the CLI both use it.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readPngTextChunks } from '../train/pngTextChunks';
import { defaultLossMonitorOptions } from '../train/lossMonitor';
import type { FinishReason, TrainerEvent } from './trainerMessages';

export class RunFolderError extends Error {}

export const runFolderFiles = { config: 'run-config.json', lossLog: 'textual_inversion_loss.csv', embeddings: 'embeddings', images: 'images', trainerLog: 'trainer.log' } as const;

const lossLogColumns = ['step', 'epoch', 'epoch_step', 'loss', 'learn_rate'];

export interface LossRow {
  step: number;
  epoch: number;
  epochStep: number;
  /** NaN where the log says the loss was not finite (`nan`, `inf`, `-inf`); replayed as null. */
  loss: number;
  learnRate: number;
}

/** What Python's float() reads as not finite (A1111 writes `nan`, `inf`, `-inf`), and JavaScript's NaN/Infinity. */
const nonFiniteLossCell = /^[+-]?(nan|inf|infinity)$/i;

type EventOf<T extends TrainerEvent['type']> = Extract<TrainerEvent, { type: T }>;

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RunFolderError(`${path}: cannot be read (${(error as Error).message})`);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new RunFolderError(`${dir}: cannot be listed (${(error as Error).message})`);
  }
}

/** Parses the loss log; the header must be A1111's, and every row five numbers (the loss may be `nan`/`inf`). */
export function parseLossLog(text: string, path: string): LossRow[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0].trim().split(',').map((c) => c.trim());
  if (header.join(',') !== lossLogColumns.join(',')) {
    throw new RunFolderError(`${path}:1: expected the header "${lossLogColumns.join(',')}" (A1111's loss log), found "${lines[0]}" — is this the run folder's loss log?`);
  }
  const rows: LossRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = lines[i].split(',').map((c) => c.trim());
    const values = cells.map((cell) => (cell === '' ? Number.NaN : Number(cell)));
    const lossNotFinite = nonFiniteLossCell.test(cells[3] ?? '');
    const unreadable = [1, 2, 4].some((column) => !Number.isFinite(values[column])) || (Number.isNaN(values[3]) && !lossNotFinite);
    if (cells.length !== 5 || !Number.isInteger(values[0]) || unreadable) {
      throw new RunFolderError(`${path}:${i + 1}: expected five numbers (${lossLogColumns.join(',')}; the loss may be nan or inf), found "${lines[i]}" — fix or delete that line`);
    }
    const [step, epoch, epochStep, loss, learnRate] = values;
    rows.push({ step, epoch, epochStep, loss: lossNotFinite ? Number.NaN : loss, learnRate });
  }
  return rows;
}

/** A1111's generation parameters text: the prompt, "Negative prompt: …", then "Key: value, …". */
export function parseGenerationParameters(text: string): { prompt: string; negativePrompt: string; fields: Record<string, string> } {
  const lines = text.split('\n');
  const last = lines[lines.length - 1];
  const hasFields = lines.length > 1 && /^[A-Za-z][\w ]*: /.test(last) && !last.startsWith('Negative prompt: ');
  const fields: Record<string, string> = {};
  if (hasFields) {
    for (const part of last.split(/,\s*(?=[A-Za-z][\w ]*: )/)) {
      const colon = part.indexOf(': ');
      if (colon > 0) fields[part.slice(0, colon).trim()] = part.slice(colon + 2).trim();
    }
    lines.pop();
  }
  const negativeAt = lines.findIndex((line) => line.startsWith('Negative prompt: '));
  const prompt = (negativeAt >= 0 ? lines.slice(0, negativeAt) : lines).join('\n');
  const negativePrompt = negativeAt >= 0 ? [lines[negativeAt].slice('Negative prompt: '.length), ...lines.slice(negativeAt + 1)].join('\n') : '';
  return { prompt, negativePrompt, fields };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The events a monitor needs to show the run in `runDir`, in the order the trainer would have
 * sent them. Throws RunFolderError naming the file and the way out when the folder is not a run.
 */
export async function replayRunFolder(runDir: string): Promise<TrainerEvent[]> {
  const configPath = join(runDir, runFolderFiles.config);
  const configText = await readText(configPath);
  if (configText === null) {
    throw new RunFolderError(
      `${configPath} is missing: ${runDir} is not a training run folder (one holds run-config.json, textual_inversion_loss.csv, images/ and embeddings/). Open the folder the trainer wrote (its --out).`,
    );
  }
  let config: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(configText);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected a JSON object');
    config = parsed as Record<string, unknown>;
  } catch (error) {
    throw new RunFolderError(`${configPath}: not a run configuration (${(error as Error).message}); restore it from the run or start a new run`);
  }
  const logPath = join(runDir, runFolderFiles.lossLog);
  const logText = await readText(logPath);
  const rows = logText === null ? [] : parseLossLog(logText, logPath);

  const embeddingFiles = await listFiles(join(runDir, runFolderFiles.embeddings));
  const name =
    typeof config.name === 'string' && config.name !== ''
      ? config.name
      : (embeddingFiles.map((f) => /^(.+)-\d+\.safetensors$/.exec(f)?.[1]).find((n) => n !== undefined) ?? 'embedding');
  const maxSteps = typeof config.maxSteps === 'number' ? config.maxSteps : (rows[rows.length - 1]?.step ?? 0);

  const events: { step: number; order: number; event: TrainerEvent }[] = [];
  const add = (step: number, order: number, event: TrainerEvent) => events.push({ step, order, event });

  // The moving average the trainer's loss monitor reports: the mean of the last `window` finite
  // losses (a non-finite one never enters it); none before the first finite loss.
  const window = defaultLossMonitorOptions.window;
  const averageAt = new Map<number, number>();
  const recent: number[] = [];
  let sum = 0;
  for (const row of rows) {
    const finite = Number.isFinite(row.loss);
    if (finite) {
      recent.push(row.loss);
      sum += row.loss;
      if (recent.length > window) sum -= recent.shift()!;
    }
    const lossAverage = recent.length > 0 ? sum / recent.length : null;
    if (lossAverage !== null) averageAt.set(row.step, lossAverage);
    const progress: EventOf<'progress'> = {
      type: 'progress',
      step: row.step,
      epoch: row.epoch,
      epochStep: row.epochStep,
      loss: finite ? row.loss : null,
      lossAverage,
      learningRate: row.learnRate,
      stepsPerSecond: 0,
      etaSeconds: null,
      memory: { rssBytes: 0, peakRssBytes: 0 },
    };
    add(row.step, 0, progress);
  }

  const stepFile = new RegExp(`^${escapeRegExp(name)}-(\\d+)\\.safetensors$`);
  let lastSaved: { step: number; path: string } | null = null;
  for (const file of embeddingFiles.sort()) {
    const match = stepFile.exec(file);
    if (!match) continue;
    const step = Number(match[1]);
    const path = join(runDir, runFolderFiles.embeddings, file);
    add(step, 1, { type: 'saved', step, path, loss: averageAt.get(step) ?? null, kind: 'embedding' });
    if (!lastSaved || step > lastSaved.step) lastSaved = { step, path };
  }

  const previewFile = new RegExp(`^${escapeRegExp(name)}-(\\d+)(?:-(\\d+))?\\.png$`);
  const imagesDir = join(runDir, runFolderFiles.images);
  const previews = (await listFiles(imagesDir))
    .map((file) => ({ file, match: previewFile.exec(file) }))
    .filter((p): p is { file: string; match: RegExpExecArray } => p.match !== null)
    .sort((a, b) => Number(a.match[1]) - Number(b.match[1]) || Number(a.match[2] ?? 0) - Number(b.match[2] ?? 0));
  for (const { file, match } of previews) {
    const path = join(imagesDir, file);
    const step = Number(match[1]);
    let text: string | undefined;
    try {
      text = readPngTextChunks(await readFile(path)).parameters;
    } catch {
      text = undefined; // A preview without readable parameters still shows, with what its name says.
    }
    const parameters = parseGenerationParameters(text ?? '');
    const number = (key: string, fallback: number) => {
      const value = Number(parameters.fields[key]);
      return Number.isFinite(value) ? value : fallback;
    };
    add(step, 2 + Number(match[2] ?? 0), {
      type: 'preview',
      step,
      path,
      prompt: text === undefined ? name : parameters.prompt,
      negativePrompt: parameters.negativePrompt,
      seed: number('Seed', 0),
      sampler: parameters.fields.Sampler ?? 'unknown',
      samplingSteps: number('Steps', 0),
      differenceFromPrevious: null,
    });
  }

  const lastStep = Math.max(rows[rows.length - 1]?.step ?? 0, lastSaved?.step ?? 0);
  const finalPath = embeddingFiles.includes(`${name}.safetensors`) ? join(runDir, runFolderFiles.embeddings, `${name}.safetensors`) : null;
  // The trainer reports its final save like the others, at the last step.
  if (finalPath !== null) add(lastStep, 1, { type: 'saved', step: lastStep, path: finalPath, loss: averageAt.get(lastStep) ?? null, kind: 'embedding' });
  events.sort((a, b) => a.step - b.step || a.order - b.order);
  const reason: FinishReason = finalPath !== null && lastStep >= maxSteps ? 'completed' : 'stopped';
  const averages = [...averageAt.values()];
  const started: EventOf<'started'> = {
    type: 'started',
    runDir,
    embeddingName: name,
    vectors: typeof config.vectors === 'number' ? config.vectors : 0,
    startStep: rows.length > 0 ? rows[0].step - 1 : 0,
    maxSteps,
    provider: typeof config.provider === 'string' ? `${config.provider} (as configured)` : 'unknown',
    providerNotes: [],
    config,
  };
  const finished: EventOf<'finished'> = {
    type: 'finished',
    reason,
    step: lastStep,
    embeddingPath: finalPath ?? lastSaved?.path ?? null,
    bestLoss: averages.length > 0 ? averages.reduce((a, b) => Math.min(a, b)) : null,
  };
  const notes: TrainerEvent[] = logText === null ? [{ type: 'log', level: 'warning', message: `${logPath} is missing: no loss curve to show` }] : [];
  return [started, ...notes, ...events.map((e) => e.event), finished];
}
