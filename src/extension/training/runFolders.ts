// Run folders on disk, as the Runs view shows them: where a dataset's runs go, and a summary of
// each (status, last step, lowest logged loss, saved embeddings) read from the files the trainer
// writes — so runs from earlier sessions, or from the CLI, show up too. No `vscode` import.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { settingsFolder } from '../../dataset/datasetScan';
import { parseLossLog, runFolderFiles } from '../../protocol/runFolderReplay';
import { readRunConfigFile } from '../../train/config';
import { runStateFileName } from './runRegistry';

/** A dataset's runs live in its settings folder, which dataset scanning skips (previews are not training images). */
export function runsFolderOf(datasetDir: string): string {
  return join(resolve(datasetDir), settingsFolder, 'runs');
}

/** A run folder for a new run of `name` that does not exist yet: `name`, then `name-2`, `name-3`… */
export function newRunFolder(datasetDir: string, name: string): string {
  const base = join(runsFolderOf(datasetDir), name);
  if (!existsSync(base)) return base;
  for (let i = 2; ; i++) if (!existsSync(`${base}-${i}`)) return `${base}-${i}`;
}

export type StoredRunStatus = 'completed' | 'stopped' | 'interrupted' | 'incomplete';

export interface RunFolderSummary {
  runDir: string;
  name: string;
  datasetDir: string;
  maxSteps: number;
  /**
   * completed: ran to max steps; stopped: stopped early with its final NAME.safetensors written;
   * interrupted: ended without one (a crash or a kill); incomplete: nothing saved yet.
   */
  status: StoredRunStatus;
  /** A saved state to continue from, and steps left to run. */
  resumable: boolean;
  lastStep: number | null;
  /** Lowest per-step loss in the loss log. */
  lowestLoss: number | null;
  /** Saved embeddings, newest step last (the final NAME.safetensors at the end). */
  embeddings: string[];
  modifiedMs: number;
  /** Why the loss log could not be read, if it could not. */
  problem: string | null;
}

function stepOf(file: string, name: string): number {
  const match = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)\\.(safetensors|pt)$`).exec(file);
  return match ? Number(match[1]) : Number.POSITIVE_INFINITY;
}

export function summariseRunFolder(runDir: string): RunFolderSummary | null {
  let config;
  try {
    config = readRunConfigFile(join(runDir, runFolderFiles.config));
  } catch {
    return null;
  }
  const embeddingsDir = join(runDir, runFolderFiles.embeddings);
  const embeddings = existsSync(embeddingsDir)
    ? readdirSync(embeddingsDir)
        .filter((f) => f.endsWith('.safetensors'))
        .sort((a, b) => stepOf(a, config.name) - stepOf(b, config.name) || a.localeCompare(b))
        .map((f) => join(embeddingsDir, f))
    : [];
  let lastStep: number | null = null;
  let lowestLoss: number | null = null;
  let problem: string | null = null;
  const csvPath = join(runDir, runFolderFiles.lossLog);
  if (existsSync(csvPath)) {
    try {
      const rows = parseLossLog(readFileSync(csvPath, 'utf8'), csvPath);
      for (const row of rows) {
        lastStep = lastStep === null ? row.step : Math.max(lastStep, row.step);
        if (Number.isFinite(row.loss) && (lowestLoss === null || row.loss < lowestLoss)) lowestLoss = row.loss;
      }
    } catch (error) {
      problem = (error as Error).message;
    }
  }
  const finalWritten = existsSync(join(embeddingsDir, `${config.name}.safetensors`));
  const hasState = existsSync(join(runDir, runStateFileName));
  const completed = lastStep !== null && lastStep >= config.maxSteps;
  return {
    runDir: resolve(runDir),
    name: config.name,
    datasetDir: resolve(config.data),
    maxSteps: config.maxSteps,
    status: completed ? 'completed' : finalWritten ? 'stopped' : hasState ? 'interrupted' : 'incomplete',
    resumable: hasState && !completed,
    lastStep,
    lowestLoss,
    embeddings,
    modifiedMs: statSync(runDir).mtimeMs,
    problem,
  };
}

/** Every run folder under `runsFolder`, newest first; folders without a run-config.json are skipped. */
export function listRunFolders(runsFolder: string): RunFolderSummary[] {
  if (!existsSync(runsFolder)) return [];
  return readdirSync(runsFolder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => summariseRunFolder(join(runsFolder, entry.name)))
    .filter((s): s is RunFolderSummary => s !== null)
    .sort((a, b) => b.modifiedMs - a.modifiedMs);
}
