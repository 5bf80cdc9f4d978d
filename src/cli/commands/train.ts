// `embedding-studio train --config FILE | --model FILE --data DIR --name NAME [...]`: trains a
// textual-inversion embedding in this process. Flags override the config file's fields.
// --json prints the TrainerEvent messages as JSON lines; otherwise one readable line per event
// (progress every 10 steps). Ctrl+C stops after the current step and saves.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../cliCommand';
import type { TrainerEvent } from '../../protocol/trainerMessages';
import { trainingDatasetReport } from '../../lint/trainingReport';
import { CommandQueue } from '../../train/commandQueue';
import { defaultRunConfig, mergeRunConfig, readRunConfigFile, type RunConfig } from '../../train/config';
import { asInputError } from '../../train/runConfigError';
import { readRunFolderConfig, RunConfigError, runTraining } from '../../train/trainingRun';

export const trainUsage = `Usage: embedding-studio train [--config run-config.json] [options]

Trains a textual-inversion embedding (AUTOMATIC1111's Train tab, without Python).
  --config FILE        a run-config.json (flags below override its fields)
  --model FILE         SD1.x checkpoint (.safetensors) or diffusers folder
  --data DIR           images with same-named caption .txt files
  --name NAME          embedding name ([name] in templates)
  --vectors N          vectors per token (default 1; 6+ for a character)
  --init-text TEXT     initialisation text (default *)
  --init-embedding F   continue an existing embedding (.safetensors/.pt); it is never overwritten
  --lr SCHEDULE        learning rate or schedule, e.g. "0.005:12000, 0.0001:20000, 0.00001"
  --steps N            max steps (default 100000)
  --batch-size N       (default 1)         --grad-accum N   gradient accumulation (default 1)
  --width W --height H training size (default 512×512)
  --template NAME|FILE subject, subject_filewords, style, style_filewords (default) or a file
  --save-every N       embedding every N steps (default 500)
  --preview-every N    preview image every N steps (default 500; 0 = none)
  --preview-steps N    sampling steps of previews (default 20)
  --sampler euler_a|ddim
  --latent-sampling once|deterministic|random
  --clip-grad disabled|value|norm      --clip-value SCHEDULE (default 0.1)
  --shuffle-tags       --tag-dropout P
  --no-emphasis        treat ( ) [ ] in captions as plain text
  --clip-skip 1|2      --seed N
  --out DIR            run folder (default runs/NAME)
  --provider auto|cpu|cuda|dml|webgpu
  --tokenizer PATH     CLIP tokenizer files (default: the model's tokenizer/, the Hugging Face
                       cache, else the CLIP vocabulary shipped with Embedding Studio)
  --text-heads N --unet-heads N   attention heads when the model is not SD1-sized
  --write-pt           also write A1111 .pt files
  --csv-every N        loss CSV row every N steps (default 500, as A1111)
  --resume             continue the run in --out from its last save (--out DIR --resume
                       alone takes everything else from DIR/run-config.json)
  --json               print events as JSON lines
Exit status: 0 trained, 1 failed or diverged, 2 bad usage or input.
`;

const flagToField: Record<string, keyof RunConfig> = {
  model: 'model', data: 'data', name: 'name', vectors: 'vectors', 'init-text': 'initText', 'init-embedding': 'initEmbedding', lr: 'learnRate',
  steps: 'maxSteps', 'batch-size': 'batchSize', 'grad-accum': 'gradientAccumulation', width: 'width', height: 'height', template: 'template',
  'save-every': 'saveEvery', 'preview-every': 'previewEvery', 'preview-steps': 'previewSteps', sampler: 'previewSampler', 'latent-sampling': 'latentSampling',
  'clip-grad': 'clipGradMode', 'clip-value': 'clipGradValue', 'tag-dropout': 'tagDropOut', 'clip-skip': 'clipSkip', seed: 'seed', out: 'out',
  provider: 'provider', tokenizer: 'tokenizer', 'text-heads': 'textHeads', 'unet-heads': 'unetHeads', 'csv-every': 'writeCsvEvery',
};

const stringOptions = Object.fromEntries(Object.keys(flagToField).map((flag) => [flag, { type: 'string' as const }]));

/**
 * `--lr -0.1`: parseArgs takes a value starting with '-' for an option ("ambiguous"); a negative
 * number after an option that takes one is that option's value (its check then says what is wrong).
 */
function joinNegativeNumbers(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i].startsWith('--') && !args[i].includes('=') ? args[i].slice(2) : undefined;
    if (flag !== undefined && (flag in flagToField || flag === 'config') && /^-(\d|\.\d)/.test(args[i + 1] ?? '')) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

/**
 * Parses the flags into a config (file first, then flags); throws RunConfigError on bad values.
 * `--resume --out DIR` alone continues the run in DIR from its own run-config.json.
 */
export function runConfigFromArgs(args: string[]): { config: RunConfig; resume: boolean; json: boolean; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: joinNegativeNumbers(args),
      options: {
        ...stringOptions,
        config: { type: 'string' },
        'shuffle-tags': { type: 'boolean' },
        'no-emphasis': { type: 'boolean' },
        'write-pt': { type: 'boolean' },
        resume: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    throw new RunConfigError((error as Error).message);
  }
  const out = (values as Record<string, unknown>).out;
  const folderConfig = values.resume && !values.config && typeof out === 'string' ? join(out, 'run-config.json') : undefined;
  const config = asInputError(() =>
    values.config ? (values.resume ? readRunFolderConfig(values.config) : readRunConfigFile(values.config)) : folderConfig && existsSync(folderConfig) ? readRunFolderConfig(folderConfig) : mergeRunConfig({}),
  );
  const record = config as unknown as Record<string, unknown>;
  for (const [flag, field] of Object.entries(flagToField)) {
    const raw = (values as Record<string, unknown>)[flag];
    if (typeof raw !== 'string') continue;
    const kind = typeof defaultRunConfig[field];
    if (kind === 'number') {
      const number = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(number)) throw new RunConfigError(`--${flag} expects a number, got "${raw}"`);
      record[field] = number;
    } else record[field] = raw;
  }
  if (values['shuffle-tags']) config.shuffleTags = true;
  if (values['no-emphasis']) config.emphasis = false;
  if (values['write-pt']) config.writePt = true;
  return { config, resume: values.resume ?? false, json: values.json ?? false, help: values.help ?? false };
}

/** A loss as the console shows it; null (not finite) as `nan`, the way A1111's console and CSV write it. */
function lossText(loss: number | null): string {
  return loss === null ? 'nan' : loss.toFixed(4);
}

export function formatEvent(event: TrainerEvent): string | null {
  switch (event.type) {
    case 'started':
      return `training ${event.embeddingName} (${event.vectors} vectors) from step ${event.startStep} to ${event.maxSteps} on ${event.provider}; run folder ${event.runDir}${event.providerNotes.map((note) => `\n  provider note: ${note}`).join('')}`;
    case 'phase':
      return event.phase === 'encoding-latents' && event.current !== undefined && event.current !== event.total && event.current !== 0 ? null : `${event.phase}: ${event.detail}`;
    case 'progress':
      // A non-finite step is always printed: it is the line that explains the 'diverged' after it.
      return event.step % 10 === 0 || event.step === 1 || event.loss === null
        ? `step ${event.step} epoch ${event.epoch} loss ${lossText(event.loss)} avg ${lossText(event.lossAverage)} lr ${event.learningRate} ${event.stepsPerSecond.toFixed(2)} it/s${event.etaSeconds !== null ? ` eta ${Math.round(event.etaSeconds)}s` : ''}`
        : null;
    case 'saved':
      return event.kind === 'embedding' ? `saved ${event.path}` : null;
    case 'preview':
      return `preview ${event.path}${event.differenceFromPrevious !== null ? ` (difference from previous ${event.differenceFromPrevious.toFixed(3)})` : ''}`;
    case 'guidance':
      return `[${event.kind}] ${event.message}`;
    case 'finished':
      return `finished (${event.reason}) at step ${event.step}; embedding ${event.embeddingPath ?? 'none'}${event.bestLoss !== null ? `; best average loss ${event.bestLoss.toFixed(4)}` : ''}`;
    case 'error':
      return `error: ${event.message}`;
    case 'log':
      return `${event.level}: ${event.message}`;
    default:
      return `${event.type}`;
  }
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'Train a textual-inversion embedding (A1111 settings; --config or flags)',
  async run(args) {
    let parsed;
    try {
      parsed = runConfigFromArgs(args);
    } catch (error) {
      process.stderr.write(`embedding-studio train: ${(error as Error).message}\n\n${trainUsage}`);
      return 2;
    }
    if (parsed.help) {
      process.stdout.write(trainUsage);
      return 0;
    }
    const emit = (event: TrainerEvent) => {
      if (parsed.json) process.stdout.write(JSON.stringify(event) + '\n');
      else {
        const line = formatEvent(event);
        if (line) (event.type === 'error' ? process.stderr : process.stdout).write(line + '\n');
      }
    };
    const commands = new CommandQueue();
    const stop = () => commands.push({ type: 'stop' });
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      const result = await runTraining(parsed.config, {
        emit,
        resume: parsed.resume,
        nextCommand: commands.next,
        waitForCommand: commands.wait,
        datasetReport: (index, countTokens) => trainingDatasetReport(index, { countTokens }),
      });
      return result.reason === 'diverged' ? 1 : 0;
    } catch (error) {
      const message = (error as Error).message;
      if (parsed.json) emit({ type: 'error', message });
      else process.stderr.write(`embedding-studio train: ${message}\n`);
      // what the user gave is wrong: 2; the run failed (ONNX Runtime, a full disk): 1
      return error instanceof RunConfigError ? 2 : 1;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
