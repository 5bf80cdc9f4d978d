// `embedding-studio demo [--out DIR] [--steps N]`: the whole pipeline in a few minutes on a CPU,
// with nothing to download: a tiny SD1.x checkpoint with random weights in the real layout, a
// small generated dataset with captions, a lint pass over it, a short training run that writes
// the embedding, the loss CSV and previews. The model is random: this shows the pipeline, not
// image quality.
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliCommand } from '../cliCommand';
import { DatasetIndex } from '../../dataset/datasetIndex';
import { lintDataset } from '../../lint';
import { tinyCheckpointConfig, writeRandomCheckpoint } from '../../sd/randomCheckpoint';
import { mergeRunConfig } from '../../train/config';
import { writeDemoDataset } from '../../train/demoDataset';
import { runTraining } from '../../train/trainingRun';
import { formatEvent } from './train';

const usage = `Usage: embedding-studio demo [--out DIR] [--steps N] [--tokenizer PATH] [--json]

Builds a tiny random SD1.x checkpoint and a generated dataset, lints it, trains an embedding
for N steps (default 300) on the CPU, and prints where the embedding, loss CSV and previews are.
The demo model has random weights: it shows the pipeline, not image quality.
`;

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Run the whole pipeline on a tiny random model in a few minutes (CPU)',
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
    const say = (line: string) => (values.json ? undefined : process.stdout.write(line + '\n'));
    const modelPath = join(out, 'model', 'demo-sd1-tiny-random.safetensors');
    const dataDir = join(out, 'dataset');
    const runDir = join(out, 'run');
    if (existsSync(join(runDir, 'run-state.safetensors'))) {
      process.stderr.write(`embedding-studio demo: ${runDir} already holds a demo run; remove ${out} or pass another --out\n`);
      return 2;
    }
    say('This demo uses a tiny Stable Diffusion 1.x model with RANDOM weights: it shows the pipeline (data → latents → training → embedding, CSV, previews), not image quality.');
    mkdirSync(join(out, 'model'), { recursive: true });
    if (!existsSync(modelPath)) writeRandomCheckpoint(modelPath, tinyCheckpointConfig, 1, { description: 'embedding-studio demo: random weights, SD1.x layout' });
    say(`model:   ${modelPath}`);
    await writeDemoDataset(dataDir, 8, 64);
    say(`dataset: ${dataDir} (8 generated images with captions)`);
    try {
      const index = await DatasetIndex.build(dataDir);
      const diagnostics = lintDataset(index, {});
      const counts = { error: 0, warning: 0, information: 0, hint: 0 } as Record<string, number>;
      for (const d of diagnostics) counts[d.severity] = (counts[d.severity] ?? 0) + 1;
      say(`lint:    ${counts.error} errors, ${counts.warning} warnings, ${counts.information} notes (embedding-studio lint ${dataDir})`);
      for (const d of diagnostics.slice(0, 5)) say(`         ${d.severity} ${d.code}: ${d.message}`);
    } catch (error) {
      say(`lint:    skipped (${(error as Error).message})`);
    }
    const config = mergeRunConfig({
      model: modelPath,
      data: dataDir,
      name: 'demoemb',
      vectors: 4,
      initText: 'girl',
      learnRate: '0.005',
      maxSteps: steps,
      width: 64,
      height: 64,
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
      say(`embedding: ${result.embeddingPath} (and .pt beside it)`);
      say(`loss CSV:  ${join(runDir, 'textual_inversion_loss.csv')}`);
      say(`previews:  ${join(runDir, 'images')}`);
      say(`config:    ${join(runDir, 'run-config.json')} (rerun with: embedding-studio train --config ${join(runDir, 'run-config.json')} --out ${join(out, 'run2')})`);
      say('Reminder: the demo model is random, so the previews are noise-like; train on your own SD1.x checkpoint for real results.');
      return result.reason === 'completed' ? 0 : 1;
    } catch (error) {
      process.stderr.write(`embedding-studio demo: ${(error as Error).message}\n`);
      return 1;
    }
  },
};
