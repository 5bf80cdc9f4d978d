// One textual-inversion training step timed as the trainer runs it (TiLossSession: the graph and
// session of `embedding-studio train`), with the same inputs as PyTorch's reference bench
// (torch_ti_step.py --bench): batch 1, 8 vectors at positions 1..8, six random tokens, t = 500,
// CLIP skip 1. Used by the GPU check in a child process of its own, so that the GPU memory the
// parent samples is this step's alone.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderChoice } from '../../src/onnx';
import { describeNodePlacement } from '../../src/onnx/nodePlacement';
import { inferSd1Architecture } from '../../src/sd/architecture';
import { loadCheckpoint } from '../../src/sd/checkpoint';
import { sd1AlphasCumprod } from '../../src/sd/noiseSchedule';
import { SeededRandom } from '../../src/sd/random';
import { chooseComputePrecision } from '../../src/train/computePrecision';
import { TiLossSession } from '../../src/train/tiLossSession';

export interface StepTimingOptions {
  checkpoint: string;
  /** Latent side: 64 for 512×512 images. */
  latent: number;
  textHeads: number;
  unetHeads: number;
  provider: ProviderChoice;
  /** Timed steps after the warm-up. */
  repeats: number;
  vectors?: number;
  cacheDir?: string;
}

export interface StepTiming {
  provider: string;
  providerNotes: string[];
  computePrecision: { precision: string; reason: string };
  setupSeconds: number;
  warmupSeconds: number;
  stepSeconds: number[];
  medianSeconds: number;
  loss: number;
  placement: string | null;
  cpuComputeNodes: number | null;
  peakRssMiB: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return n % 2 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2; // as Python's statistics.median
}

export async function timeTrainingStep(o: StepTimingOptions): Promise<StepTiming> {
  const vectors = o.vectors ?? 8;
  const started = performance.now();
  const checkpoint = loadCheckpoint(o.checkpoint);
  try {
    const architecture = inferSd1Architecture(checkpoint, { textHeads: o.textHeads, unetHeads: o.unetHeads });
    const step = await TiLossSession.create({
      checkpoint,
      architecture,
      alphasCumprod: sd1AlphasCumprod(),
      vectors,
      batchSize: 1,
      latentHeight: o.latent,
      latentWidth: o.latent,
      clipSkip: 1,
      emphasis: false,
      provider: o.provider,
      cacheDir: o.cacheDir ?? join(tmpdir(), 'embedding-studio-gpu-check', 'onnx'),
    });
    try {
      const precision = await chooseComputePrecision(step.ortSession.provider);
      const setupSeconds = (performance.now() - started) / 1000;
      const rng = new SeededRandom(0);
      const ids = [49406, ...new Array(vectors).fill(0), ...Array.from({ length: 6 }, () => 1000 + rng.nextInt(39000))];
      while (ids.length < 77) ids.push(49407);
      const size = 4 * o.latent * o.latent;
      const batch = {
        inputIds: [ids],
        slots: [Array.from({ length: vectors }, (_, i) => [i + 1, i] as [number, number])],
        weights: [new Array(77).fill(1)],
        latents: rng.fillGaussian(new Float32Array(size)),
        noise: rng.fillGaussian(new Float32Array(size)),
        timesteps: [500],
      };
      const emb = rng.fillGaussian(new Float32Array(vectors * architecture.textEncoder.width), 0, 0.02);
      const times: number[] = [];
      let loss = NaN;
      for (let i = 0; i <= o.repeats; i++) {
        const t0 = performance.now();
        const result = await step.run(batch, emb);
        times.push((performance.now() - t0) / 1000);
        loss = result.loss;
        if (!Number.isFinite(loss) || !result.gradient.every(Number.isFinite)) throw new Error(`step ${i}: non-finite loss ${loss} or gradient`);
        process.stderr.write(`  ${i ? `step ${i}` : 'warm-up'}: ${times[i].toFixed(3)} s, loss ${loss.toFixed(4)}\n`);
      }
      const placement = step.ortSession.nodePlacement;
      return {
        provider: step.provider,
        providerNotes: [...step.providerNotes],
        computePrecision: { precision: precision.precision, reason: precision.reason },
        setupSeconds,
        warmupSeconds: times[0],
        stepSeconds: times.slice(1),
        medianSeconds: median(times.slice(1)),
        loss,
        placement: placement ? describeNodePlacement(placement) : null,
        cpuComputeNodes: placement ? placement.cpuCompute.length : null,
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
      };
    } finally {
      await step.release();
    }
  } finally {
    checkpoint.close();
  }
}
