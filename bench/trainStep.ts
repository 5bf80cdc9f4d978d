// Steps/s and peak memory of our textual-inversion training step (TiLossSession: the graph and
// session the trainer uses) beside PyTorch's reference step (torch_ti_step.py --bench, which the
// project keeps outside this repository: found at ../shared/bench/ beside the checkout, or given
// with --torch-script; without it only our figures are printed, and the bench says so)
// measured in the same run, on the CPU: the tiny fixture checkpoint (8×8 latents), and
// a random SD1.5-shaped float32 checkpoint at 256×256 and 512×512 (32/64 latents). Every
// measurement runs in its own child process so each peak RSS is its own. Prints ratios
// ours/PyTorch (step time, peak RSS); ≤ 1.0 means we are at least as fast / as lean.
//   node --import tsx bench/trainStep.ts [--only tiny,sd15-256,sd15-512] [--repeats 3] [--threads 2] [--no-prepack] [--lean] [--skip-torch] [--torch-script PATH]
//   --lean: no pre-packed weight copies and no CPU memory arena (the least memory ORT offers)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inferSd1Architecture } from '../src/sd/architecture';
import { loadCheckpoint } from '../src/sd/checkpoint';
import { sd1AlphasCumprod } from '../src/sd/noiseSchedule';
import { SeededRandom } from '../src/sd/random';
import { sd15CheckpointConfig, writeRandomCheckpoint } from '../src/sd/randomCheckpoint';
import { TiLossSession } from '../src/train/tiLossSession';

const repo = join(__dirname, '..');
/** Where the PyTorch reference is offered when the project's shared folder sits beside the checkout. */
const torchScriptBeside = join(repo, '..', 'shared', 'bench', 'torch_ti_step.py');
const fixture = join(repo, 'test/fixtures/sd1-tiny/model.safetensors');
const vectors = 8;

interface Case {
  label: string;
  checkpoint: () => string;
  latent: number;
  textHeads: number;
  unetHeads: number;
  /** torch: --checkpoint (else its own random SD1.5 float32 model with the same shapes). */
  torchCheckpoint: boolean;
}

function sd15Checkpoint(): string {
  const folder = join(tmpdir(), 'embedding-studio-bench');
  mkdirSync(folder, { recursive: true });
  const path = join(folder, 'random-sd15-f32.safetensors');
  if (!existsSync(path)) {
    const start = Date.now();
    writeRandomCheckpoint(path, { ...sd15CheckpointConfig, dtype: 'F32' }, 0, { description: 'embedding-studio bench: random weights' });
    process.stderr.write(`wrote ${path} (${(statSync(path).size / 2 ** 30).toFixed(2)} GiB) in ${((Date.now() - start) / 1000).toFixed(0)} s\n`);
  }
  return path;
}

const cases: Record<string, Case> = {
  tiny: { label: 'tiny fixture, 64×64 px', checkpoint: () => fixture, latent: 8, textHeads: 4, unetHeads: 2, torchCheckpoint: true },
  'sd15-256': { label: 'SD1.5-shaped f32, 256×256 px', checkpoint: sd15Checkpoint, latent: 32, textHeads: 12, unetHeads: 8, torchCheckpoint: false },
  'sd15-512': { label: 'SD1.5-shaped f32, 512×512 px', checkpoint: sd15Checkpoint, latent: 64, textHeads: 12, unetHeads: 8, torchCheckpoint: false },
};

/** Child: one configuration of ours; prints one JSON line. */
async function child(path: string, latent: number, textHeads: number, unetHeads: number, repeats: number, threads: number, disablePrepacking: boolean, disableCpuMemArena: boolean): Promise<void> {
  const started = performance.now();
  const checkpoint = loadCheckpoint(path);
  const architecture = inferSd1Architecture(checkpoint, { textHeads, unetHeads });
  const step = await TiLossSession.create({
    checkpoint, architecture, alphasCumprod: sd1AlphasCumprod(), vectors, batchSize: 1, latentHeight: latent, latentWidth: latent,
    clipSkip: 1, emphasis: false, provider: 'cpu', cacheDir: join(tmpdir(), 'embedding-studio-bench', 'onnx'), intraOpThreads: threads, disablePrepacking, disableCpuMemArena,
  });
  const setupSeconds = (performance.now() - started) / 1000;
  const rng = new SeededRandom(0);
  const ids = [49406, ...new Array(vectors).fill(0), ...Array.from({ length: 6 }, () => 1000 + rng.nextInt(39000))];
  while (ids.length < 77) ids.push(49407);
  const size = 4 * latent * latent;
  const batch = { inputIds: [ids], slots: [Array.from({ length: vectors }, (_, i) => [i + 1, i] as [number, number])], weights: [new Array(77).fill(1)], latents: rng.fillGaussian(new Float32Array(size)), noise: rng.fillGaussian(new Float32Array(size)), timesteps: [500] };
  const emb = rng.fillGaussian(new Float32Array(vectors * architecture.textEncoder.width), 0, 0.02);
  const times: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    const t0 = performance.now();
    const { loss, gradient } = await step.run(batch, emb);
    times.push((performance.now() - t0) / 1000);
    if (!Number.isFinite(loss) || !gradient.every(Number.isFinite)) throw new Error(`non-finite loss ${loss} or gradient`);
    process.stderr.write(`  ours ${i ? `step ${i}` : 'warm-up'}: ${times[i].toFixed(2)} s, loss ${loss.toFixed(4)}\n`);
  }
  const timed = times.slice(1).sort((a, b) => a - b);
  const median = (timed[(timed.length - 1) >> 1] + timed[timed.length >> 1]) / 2; // as Python's statistics.median
  process.stdout.write(JSON.stringify({ impl: 'ours', provider: step.provider, median_s: median, setup_s: setupSeconds, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }) + '\n');
  await step.release();
  checkpoint.close();
}

function lastJson(stdout: string): Record<string, number | string> {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`no JSON result in:\n${stdout}`);
  return JSON.parse(line);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string', default: 'tiny,sd15-256,sd15-512' }, repeats: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' }, child: { type: 'string' }, latent: { type: 'string' }, 'text-heads': { type: 'string' }, 'unet-heads': { type: 'string' }, 'no-prepack': { type: 'boolean', default: false }, lean: { type: 'boolean', default: false }, 'skip-torch': { type: 'boolean', default: false }, 'torch-script': { type: 'string' } } });
  const repeats = Number(values.repeats);
  const threads = Number(values.threads);
  if (values.child) return child(values.child, Number(values.latent), Number(values['text-heads']), Number(values['unet-heads']), repeats, threads, (values['no-prepack'] || values.lean) ?? false, values.lean ?? false);
  const torchScript = values['torch-script'] ?? (existsSync(torchScriptBeside) ? torchScriptBeside : undefined);
  let skipTorch = values['skip-torch'] ?? false;
  if (!skipTorch && (!torchScript || !existsSync(torchScript))) {
    skipTorch = true;
    process.stderr.write(
      `PyTorch reference not found (${torchScript ?? torchScriptBeside}): measuring our step only, no ratios. ` +
        'Pass --torch-script PATH/torch_ti_step.py (it needs Debian\'s python3-torch) to compare.\n',
    );
  } else if (!skipTorch) process.stderr.write(`PyTorch reference: ${torchScript}\n`);
  const rows: string[] = [];
  for (const key of values.only!.split(',')) {
    const c = cases[key];
    if (!c) throw new Error(`unknown case ${key}; use ${Object.keys(cases).join(', ')}`);
    const path = c.checkpoint();
    process.stderr.write(`== ${c.label}\n`);
    const ours = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', path, '--latent', String(c.latent), '--text-heads', String(c.textHeads), '--unet-heads', String(c.unetHeads), '--repeats', String(repeats), '--threads', String(threads), ...(values['no-prepack'] ? ['--no-prepack'] : []), ...(values.lean ? ['--lean'] : [])], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
    if (ours.status !== 0) throw new Error(`our step failed for ${c.label}`);
    if (skipTorch || !torchScript) {
      const o = lastJson(ours.stdout);
      rows.push(`${c.label.padEnd(30)} ours ${Number(o.median_s).toFixed(3)} s/step, peak ${Number(o.peak_rss_mb).toFixed(0)} MiB, setup ${Number(o.setup_s).toFixed(1)} s [${o.provider}]${values.lean ? ' (lean: no pre-packing, no arena)' : values['no-prepack'] ? ' (no pre-packing)' : ''}`);
      process.stdout.write(rows[rows.length - 1] + '\n');
      continue;
    }
    const torchArgs = [torchScript, '--bench', '--latent', String(c.latent), '--threads', String(threads), '--repeats', String(repeats), '--vectors', String(vectors)];
    if (c.torchCheckpoint) torchArgs.push('--checkpoint', path, '--text-heads', String(c.textHeads), '--unet-heads', String(c.unetHeads));
    const torch = spawnSync('/usr/bin/python3', torchArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
    if (torch.status !== 0) throw new Error(`torch_ti_step.py failed for ${c.label} (install python3-torch: apt-get install -y python3-torch)`);
    const o = lastJson(ours.stdout);
    const t = lastJson(torch.stdout);
    const row = `${c.label.padEnd(30)} ours ${Number(o.median_s).toFixed(3)} s/step (${(1 / Number(o.median_s)).toFixed(2)} steps/s), peak ${Number(o.peak_rss_mb).toFixed(0)} MiB, setup ${Number(o.setup_s).toFixed(1)} s [${o.provider}] | torch ${Number(t.median_s).toFixed(3)} s/step, peak ${t.peak_rss_mb} MiB | ratio time ${(Number(o.median_s) / Number(t.median_s)).toFixed(2)}, memory ${(Number(o.peak_rss_mb) / Number(t.peak_rss_mb)).toFixed(2)}`;
    process.stdout.write(row + '\n');
    rows.push(row);
  }
  process.stdout.write(`\nthreads ${threads}, ${repeats} timed steps after a warm-up, batch 1, ${vectors} vectors, CLIP skip 1, t=500\n${rows.join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
