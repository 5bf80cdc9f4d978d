// `embedding-studio demo [--out DIR] [--steps N]`: the whole pipeline in a few seconds on a CPU,
// with nothing to download: a tiny SD1.x checkpoint with random weights in the real layout, a
// small generated dataset with captions, a lint pass over it, a short training run (with the
// CLIP vocabulary we ship) that writes the embedding, the loss CSV and previews. The model is
// random: this shows the pipeline, not image quality.
// The demo folder is its own: the model and the dataset are made once and reused, and every run
// goes to a new run folder (run, run-2, …), so running it again keeps what the last run wrote.
// It writes into an empty or missing folder, or one it made (its marker file), nowhere else.
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliCommand } from '../cliCommand';
import { cliCommandLine, displayPath } from '../cliInvocation';
import { writeFileAtomicSync } from '../../dataset/atomicWrite';
import { DatasetIndex } from '../../dataset/datasetIndex';
import { lintDataset } from '../../lint';
import type { LintDiagnostic } from '../../lint/types';
import { hasRandomWeights, tinyCheckpointConfig, writeRandomCheckpoint } from '../../sd/randomCheckpoint';
import { openSafetensors } from '../../sd/safetensors';
import { mergeRunConfig } from '../../train/config';
import { writeDemoDataset } from '../../train/demoDataset';
import { runConfigPath, runTraining } from '../../train/trainingRun';
import { formatEvent } from './train';

const usage = `Usage: embedding-studio demo [--out DIR] [--steps N] [--tokenizer PATH] [--json]

Builds a tiny random SD1.x checkpoint and a generated dataset in DIR (default
embedding-studio-demo; both are reused when DIR already holds them), lints the dataset, trains
an embedding for N steps (default 300) on the CPU into a new run folder of DIR (run, run-2, …),
and prints where the embedding, loss CSV and previews are.
The demo model has random weights: it shows the pipeline, not image quality.
`;

/** Marks a folder as the demo's own, so that a rerun may add to it. */
const markerName = 'embedding-studio-demo.json';
const modelRelative = join('model', 'demo-sd1-tiny-random.safetensors');
const demoImages = { count: 8, size: 512 };
/** Training size: 64×64 (8×8 latents) keeps a CPU run to seconds; the images are scaled to it. */
const trainingSize = 64;

/** Why the demo must not write into `out`, if it must not. */
function unusableOutFolder(out: string): string | undefined {
  if (!existsSync(out)) return undefined;
  if (!statSync(out).isDirectory()) return `${out} is not a folder`;
  if (readdirSync(out).length === 0) return undefined;
  // A demo folder, with the marker, or from an older version that wrote no marker.
  if (existsSync(join(out, markerName)) || existsSync(join(out, modelRelative))) return undefined;
  return `${out} already holds files and is not a demo folder (it has no ${markerName}); the demo writes only into an empty folder or its own — pass another --out`;
}

/** `run`, then `run-2`, `run-3`, …: the first that does not exist yet. */
function freeRunFolder(out: string, after?: string): string {
  for (let n = 1; ; n++) {
    const dir = join(out, n === 1 ? 'run' : `run-${n}`);
    if (!existsSync(dir) && dir !== after) return dir;
  }
}

function isRandomDemoModel(path: string): boolean {
  try {
    const file = openSafetensors(path);
    try {
      return hasRandomWeights(file.metadata);
    } finally {
      file.close();
    }
  } catch {
    return false;
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "0 errors, 1 warning, 0 information, 2 hints", in the severity names the problem lines use. */
export function lintCounts(diagnostics: readonly Pick<LintDiagnostic, 'severity'>[]): string {
  const count = (severity: LintDiagnostic['severity']) => diagnostics.filter((d) => d.severity === severity).length;
  return [plural(count('error'), 'error'), plural(count('warning'), 'warning'), `${count('information')} information`, plural(count('hint'), 'hint')].join(', ');
}

/**
 * The lines that list a lint result briefly: each distinct problem once (with the number of
 * files it is on), the first `limit` of them, then "(4 more: 3 image-size, 1 fixed-trait)".
 */
export function problemLines(diagnostics: readonly Pick<LintDiagnostic, 'severity' | 'code' | 'message'>[], limit = 5): string[] {
  const groups = new Map<string, { first: Pick<LintDiagnostic, 'severity' | 'code' | 'message'>; files: number }>();
  for (const d of diagnostics) {
    const key = `${d.severity}\u0000${d.code}\u0000${d.message}`;
    const group = groups.get(key);
    if (group) group.files++;
    else groups.set(key, { first: d, files: 1 });
  }
  const list = [...groups.values()];
  const lines = list.slice(0, limit).map(({ first, files }) => `${first.severity} ${first.code}${files > 1 ? ` (on ${files} files)` : ''}: ${first.message}`);
  const rest = list.slice(limit);
  if (rest.length > 0) {
    const byRule = new Map<string, number>();
    for (const { first, files } of rest) byRule.set(first.code, (byRule.get(first.code) ?? 0) + files);
    const count = rest.reduce((n, g) => n + g.files, 0);
    lines.push(`(${count} more: ${[...byRule].map(([code, n]) => `${n} ${code}`).join(', ')})`);
  }
  return lines;
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Run the whole pipeline on a tiny random model in seconds (CPU)',
  async run(args) {
    let values;
    try {
      values = parseArgs({ args, options: { out: { type: 'string', default: 'embedding-studio-demo' }, steps: { type: 'string', default: '300' }, tokenizer: { type: 'string', default: '' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } }).values;
    } catch (error) {
      process.stderr.write(`embedding-studio demo: ${(error as Error).message}\n\n${usage}`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const steps = Number(values.steps);
    if (!Number.isInteger(steps) || steps < 1) {
      process.stderr.write(`embedding-studio demo: --steps expects a whole number ≥ 1, got "${values.steps}"\n`);
      return 2;
    }
    const out = resolve(values.out!);
    const problem = unusableOutFolder(out);
    if (problem) {
      process.stderr.write(`embedding-studio demo: ${problem}\n`);
      return 2;
    }
    const say = (line: string) => (values.json ? undefined : process.stdout.write(line + '\n'));
    const modelPath = join(out, modelRelative);
    const dataDir = join(out, 'dataset');
    const runDir = freeRunFolder(out);
    const ours = existsSync(join(out, markerName));

    say('This demo uses a tiny Stable Diffusion 1.x model with RANDOM weights: it shows the pipeline (data → latents → training → embedding, CSV, previews), not image quality.');
    mkdirSync(join(out, 'model'), { recursive: true });
    const modelReused = ours && isRandomDemoModel(modelPath);
    if (!modelReused) writeRandomCheckpoint(modelPath, tinyCheckpointConfig, 1, { description: 'embedding-studio demo: random weights, SD1.x layout' });
    say(`model:   ${displayPath(modelPath)}${modelReused ? ' (reused)' : ''}`);
    const datasetReused = ours && existsSync(dataDir) && readdirSync(dataDir).some((f) => f.endsWith('.png'));
    if (!datasetReused) await writeDemoDataset(dataDir, demoImages.count, demoImages.size);
    writeFileAtomicSync(join(out, markerName), JSON.stringify({ createdBy: 'embedding-studio demo', model: modelRelative, dataset: 'dataset' }, null, 2) + '\n');
    say(
      `dataset: ${displayPath(dataDir)} (${datasetReused ? 'reused' : `${demoImages.count} generated ${demoImages.size}×${demoImages.size} images with captions`}; ` +
        `few, to train in seconds: a real dataset has 30–50 images)`,
    );
    const lintCommand = cliCommandLine(['lint', displayPath(dataDir)]);
    try {
      const index = await DatasetIndex.build(dataDir);
      const diagnostics = lintDataset(index, {});
      say(`lint:    ${lintCounts(diagnostics)} (${lintCommand})`);
      for (const line of problemLines(diagnostics)) say(`         ${line}`);
    } catch (error) {
      say(`lint:    skipped (${(error as Error).message})`);
    }
    const config = mergeRunConfig({
      model: modelPath,
      data: dataDir,
      name: 'demoemb',
      vectors: 6,
      initText: 'girl',
      learnRate: '0.005',
      maxSteps: steps,
      width: trainingSize,
      height: trainingSize,
      template: 'subject_filewords',
      saveEvery: Math.max(1, Math.floor(steps / 3)),
      previewEvery: Math.max(1, Math.floor(steps / 3)),
      writeCsvEvery: 1,
      writePt: true,
      provider: 'cpu',
      out: runDir,
      tokenizer: values.tokenizer ?? '',
      textHeads: 4,
      unetHeads: 2,
      seed: 1,
    });
    say(`run:     ${displayPath(runDir)} (${steps} steps at ${trainingSize}×${trainingSize} on the CPU)`);
    try {
      const result = await runTraining(config, {
        emit: (event) => {
          if (values.json) process.stdout.write(JSON.stringify(event) + '\n');
          else if (event.type !== 'progress' || event.step % 50 === 0) {
            const line = formatEvent(event);
            if (line && event.type !== 'saved' && event.type !== 'preview') say(`  ${line}`);
          }
        },
        resume: false,
      });
      const configPath = runConfigPath(runDir);
      say(`embedding: ${displayPath(result.embeddingPath ?? join(runDir, 'embeddings'))} (and .pt beside it)`);
      say(`loss CSV:  ${displayPath(join(runDir, 'textual_inversion_loss.csv'))}`);
      say(`previews:  ${displayPath(join(runDir, 'images'))} (noise-like: the model is random)`);
      say(`config:    ${displayPath(configPath)}`);
      say(`rerun it:  ${cliCommandLine(['train', '--config', displayPath(configPath), '--out', displayPath(freeRunFolder(out, runDir))])}`);
      say('Train on your own SD1.x checkpoint for real results: see the README (embedding-studio train --model … --data …).');
      return result.reason === 'completed' ? 0 : 1;
    } catch (error) {
      process.stderr.write(`embedding-studio demo: ${(error as Error).message}\n`);
      return 1;
    }
  },
};
