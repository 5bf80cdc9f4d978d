// `embedding-studio random-model OUT [--size tiny|sd15] [--fp16|--fp32] [--seed N]`: writes an
// SD1.x checkpoint with random weights in the real single-file layout, for demos, tests and
// benchmarks. It generates nothing meaningful: the weights are random.
import { existsSync } from 'node:fs';
import type { CliCommand } from '../cliCommand';
import { randomCheckpointParameterCount, sd15CheckpointConfig, tinyCheckpointConfig, writeRandomCheckpoint } from '../../sd/randomCheckpoint';
import { parseCommandArguments } from '../commandArguments';

const usage = `Usage: embedding-studio random-model OUT.safetensors [--size tiny|sd15] [--fp16|--fp32] [--seed N] [--force]

Writes an SD1.x checkpoint with RANDOM weights in the real single-file layout (AUTOMATIC1111
tensor names and shapes). It shows the pipeline and measures speed; it draws nothing useful.
  --size tiny   the sizes of the sd1-tiny test fixture (~22 MB, float32 by default)
  --size sd15   Stable Diffusion 1.5's sizes (~2.1 GB, float16 by default)
  --fp16/--fp32 weight dtype     --seed N  (default 0)     --force  overwrite OUT
Exit status: 0 written, 2 bad usage or OUT exists (without --force) or cannot be written.
`;

export const randomModelCommand: CliCommand = {
  name: 'random-model',
  summary: 'Write an SD1.x checkpoint with random weights (tiny or SD1.5-sized) for demos and benchmarks',
  async run(args) {
    const parsed = parseCommandArguments('random-model', usage, args, {
      size: { type: 'string', default: 'tiny' },
      fp16: { type: 'boolean' },
      fp32: { type: 'boolean' },
      seed: { type: 'string', default: '0' },
      force: { type: 'boolean' },
    });
    if (typeof parsed === 'number') return parsed;
    const [out, ...extra] = parsed.positionals;
    const fail = (message: string): number => {
      process.stderr.write(`embedding-studio random-model: ${message}\n`);
      return 2;
    };
    if (!out || extra.length > 0) return fail(`give exactly one output file\n\n${usage}`);
    const base = parsed.values.size === 'tiny' ? tinyCheckpointConfig : parsed.values.size === 'sd15' ? sd15CheckpointConfig : undefined;
    if (!base) return fail(`--size must be tiny or sd15, got ${parsed.values.size}`);
    if (parsed.values.fp16 && parsed.values.fp32) return fail('give --fp16 or --fp32, not both');
    const seed = Number(parsed.values.seed);
    if (!Number.isSafeInteger(seed) || seed < 0) return fail(`--seed must be a non-negative integer, got ${parsed.values.seed}`);
    if (existsSync(out) && !parsed.values.force) return fail(`${out} already exists — choose another name or add --force to overwrite it`);
    const config = { ...base, dtype: parsed.values.fp16 ? ('F16' as const) : parsed.values.fp32 ? ('F32' as const) : base.dtype };
    const started = Date.now();
    try {
      writeRandomCheckpoint(out, config, seed, { size: String(parsed.values.size) });
    } catch (error) {
      return fail((error as Error).message);
    }
    const parameters = randomCheckpointParameterCount(config);
    process.stdout.write(`wrote ${out}: random SD1.x weights (${parsed.values.size}, ${config.dtype}, ${(parameters / 1e6).toFixed(1)}M parameters, seed ${seed}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return 0;
  },
};
