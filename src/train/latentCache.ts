// Each image is VAE-encoded once; the cache keeps the latent distribution (mean, logvar) and
// draws latents from it with A1111's latent_sampling_method:
//   once          — one sample per image drawn when the cache is built, reused every step;
//   deterministic — the mean (std 0), no randomness;
//   random        — a fresh sample every time the image is used.
// A sample is (mean + exp(logvar/2)·n)·0.18215 (DiagonalGaussianDistribution.sample, then
// get_first_stage_encoding's scale factor); logvar is clamped to [-30, 20] as in ldm.
import type { LatentSampling } from './config';

export const latentScaleFactor = 0.18215;

export interface LatentDistribution {
  /** [4, h/8, w/8]. */
  mean: Float32Array;
  logvar: Float32Array;
}

/** Standard normal draws, one per call. */
export type NormalSource = () => number;

export function sampleLatent(distribution: LatentDistribution, normal: NormalSource | null): Float32Array {
  const { mean, logvar } = distribution;
  const out = new Float32Array(mean.length);
  for (let i = 0; i < mean.length; i++) {
    const std = normal ? Math.exp(0.5 * Math.min(20, Math.max(-30, logvar[i]))) : 0;
    out[i] = (mean[i] + (normal ? std * normal() : 0)) * latentScaleFactor;
  }
  return out;
}

export class LatentCache {
  private readonly fixed: (Float32Array | null)[];

  /**
   * `onceNormal` draws the single samples of the `once` mode; it should be a generator of its
   * own (seeded from the run seed), so a resumed run rebuilds the very same latents.
   */
  constructor(
    readonly distributions: readonly LatentDistribution[],
    readonly mode: LatentSampling,
    onceNormal: NormalSource,
  ) {
    this.fixed = distributions.map((d) => (mode === 'once' ? sampleLatent(d, onceNormal) : mode === 'deterministic' ? sampleLatent(d, null) : null));
  }

  get size(): number {
    return this.distributions.length;
  }

  /** The latent for image `index`; `normal` is used only by the random mode. */
  latent(index: number, normal: NormalSource): Float32Array {
    return this.fixed[index] ?? sampleLatent(this.distributions[index], normal);
  }
}
