// Samplers for preview images: Euler ancestral (A1111's "Euler a", k-diffusion) and DDIM (ldm's
// DDIMSampler with uniform timesteps), with classifier-free guidance. Pure math on Float32Arrays
// over a noise-prediction callback; the callback runs the UNet however it likes.
import type { SeededRandom } from './random';

/**
 * eps = predictNoise(x, t, conditioning): the UNet's noise prediction for latent x at timestep
 * t (in the model's own VP scaling). Euler ancestral passes fractional t (k-diffusion does), DDIM
 * integer t.
 */
export type NoisePredictor<C> = (x: Float32Array, timestep: number, conditioning: C) => Promise<Float32Array> | Float32Array;

export interface SamplerOptions<C> {
  /** The model's ᾱ_t for t = 0..T-1 (from noiseSchedule). */
  alphasCumprod: ArrayLike<number>;
  steps: number;
  predictNoise: NoisePredictor<C>;
  conditioning: C;
  /** The negative prompt's conditioning; used when guidanceScale ≠ 1. */
  unconditioning?: C;
  /** Classifier-free guidance: eps = eps_u + scale · (eps_c − eps_u). A1111's default is 7. */
  guidanceScale: number;
  /** Number of latent values (C·H·W). */
  size: number;
  rng: SeededRandom;
  /** Starting noise (standard normal, `size` values); drawn from rng when absent. */
  initialNoise?: Float32Array;
  /** Called after each step with the step index (0-based) and the model's current x0 estimate. */
  onStep?: (step: number, denoised: Float32Array) => void;
}

export interface SamplerResult {
  /** The final latent (what A1111 decodes). */
  latent: Float32Array;
  /** The model's x0 estimate at the last step. */
  denoised: Float32Array;
}

async function guidedNoise<C>(options: SamplerOptions<C>, x: Float32Array, t: number): Promise<Float32Array> {
  const cond = Float32Array.from(await options.predictNoise(x, t, options.conditioning));
  if (options.guidanceScale === 1 || options.unconditioning === undefined) return cond;
  const uncond = await options.predictNoise(x, t, options.unconditioning);
  const scale = options.guidanceScale;
  for (let i = 0; i < cond.length; i++) cond[i] = uncond[i] + scale * (cond[i] - uncond[i]);
  return cond;
}

function startingNoise<C>(options: SamplerOptions<C>): Float32Array {
  if (options.initialNoise) {
    if (options.initialNoise.length !== options.size) throw new Error(`initial noise has ${options.initialNoise.length} values, the latent ${options.size}`);
    return Float32Array.from(options.initialNoise);
  }
  return options.rng.fillGaussian(new Float32Array(options.size));
}

function checkSteps(steps: number, timesteps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > timesteps) throw new Error(`sampling steps must be an integer from 1 to ${timesteps}, got ${steps}`);
}

/** σ_t = sqrt((1 − ᾱ_t) / ᾱ_t): the noise level of timestep t in k-diffusion's VE view. */
export function sigmasFromAlphasCumprod(alphasCumprod: ArrayLike<number>): Float64Array {
  return Float64Array.from(alphasCumprod, (a) => Math.sqrt((1 - a) / a));
}

/** σ at a fractional timestep: linear interpolation of log σ, as k-diffusion's DiscreteSchedule. */
export function sigmaAtTimestep(sigmas: ArrayLike<number>, t: number): number {
  const low = Math.floor(t);
  const high = Math.min(low + 1, sigmas.length - 1);
  const w = t - low;
  return Math.exp((1 - w) * Math.log(sigmas[low]) + w * Math.log(sigmas[high]));
}

/** The fractional timestep of a σ (inverse of sigmaAtTimestep; σ table increasing with t). */
export function timestepAtSigma(sigmas: ArrayLike<number>, sigma: number): number {
  const logSigma = Math.log(sigma);
  let low = 0;
  while (low < sigmas.length - 2 && Math.log(sigmas[low + 1]) <= logSigma) low++;
  const a = Math.log(sigmas[low]);
  const b = Math.log(sigmas[low + 1]);
  const w = Math.min(1, Math.max(0, (a - logSigma) / (a - b)));
  return (1 - w) * low + w * (low + 1);
}

/** k-diffusion's default schedule: n σ's at t = linspace(T−1, 0, n), then a final 0. */
export function samplingSigmas(alphasCumprod: ArrayLike<number>, steps: number): Float64Array {
  checkSteps(steps, alphasCumprod.length);
  const table = sigmasFromAlphasCumprod(alphasCumprod);
  const last = alphasCumprod.length - 1;
  const out = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) {
    const t = steps === 1 ? last : last - (i * last) / (steps - 1);
    out[i] = sigmaAtTimestep(table, t);
  }
  out[steps] = 0;
  return out;
}

/**
 * Euler ancestral (eta 1): the VE latent x = x0 + σ·noise starts at σ_max·noise; each step
 * denoises (x0 ≈ x − σ·eps(x/√(σ²+1), t(σ))), steps down to σ_down along the ODE direction
 * and adds fresh noise σ_up, with σ_down² + σ_up² = σ_next².
 */
export async function sampleEulerAncestral<C>(options: SamplerOptions<C>): Promise<SamplerResult> {
  const sigmas = samplingSigmas(options.alphasCumprod, options.steps);
  const table = sigmasFromAlphasCumprod(options.alphasCumprod);
  const x = startingNoise(options);
  for (let i = 0; i < x.length; i++) x[i] *= sigmas[0];
  const scaled = new Float32Array(options.size);
  let denoised = new Float32Array(options.size);
  for (let step = 0; step < options.steps; step++) {
    const sigma = sigmas[step];
    const sigmaNext = sigmas[step + 1];
    const inputScale = 1 / Math.sqrt(sigma * sigma + 1);
    for (let i = 0; i < x.length; i++) scaled[i] = x[i] * inputScale;
    const eps = await guidedNoise(options, scaled, timestepAtSigma(table, sigma));
    denoised = new Float32Array(options.size);
    for (let i = 0; i < x.length; i++) denoised[i] = x[i] - sigma * eps[i];
    const sigmaUp = Math.min(sigmaNext, Math.sqrt((sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext)) / (sigma * sigma)));
    const sigmaDown = Math.sqrt(sigmaNext * sigmaNext - sigmaUp * sigmaUp);
    for (let i = 0; i < x.length; i++) x[i] = denoised[i] + ((x[i] - denoised[i]) / sigma) * sigmaDown;
    if (sigmaNext > 0) for (let i = 0; i < x.length; i++) x[i] += sigmaUp * options.rng.nextGaussian();
    options.onStep?.(step, denoised);
  }
  return { latent: x, denoised };
}

/** ldm's uniform DDIM timesteps: every ⌊T/steps⌋-th step, shifted by one: 1, 51, …, 951 for 20. */
export function ddimTimesteps(timesteps: number, steps: number): number[] {
  checkSteps(steps, timesteps);
  const stride = Math.floor(timesteps / steps);
  return Array.from({ length: steps }, (_, i) => Math.min(i * stride + 1, timesteps - 1));
}

/**
 * DDIM (Song et al.), as ldm's DDIMSampler: x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev−σ²)·eps + σ·z,
 * σ = eta·√((1−ᾱ_prev)/(1−ᾱ)·(1−ᾱ/ᾱ_prev)); the last step goes to ᾱ_0 (not to 1), like ldm.
 */
export async function sampleDdim<C>(options: SamplerOptions<C> & { eta?: number }): Promise<SamplerResult> {
  const ac = options.alphasCumprod;
  const eta = options.eta ?? 0;
  const timesteps = ddimTimesteps(ac.length, options.steps);
  const x = startingNoise(options);
  let denoised = new Float32Array(options.size);
  for (let index = timesteps.length - 1, step = 0; index >= 0; index--, step++) {
    const t = timesteps[index];
    const alpha = ac[t];
    const alphaPrev = index > 0 ? ac[timesteps[index - 1]] : ac[0];
    const sigma = eta * Math.sqrt(((1 - alphaPrev) / (1 - alpha)) * (1 - alpha / alphaPrev));
    const eps = await guidedNoise(options, x, t);
    denoised = new Float32Array(options.size);
    const direction = Math.sqrt(Math.max(0, 1 - alphaPrev - sigma * sigma));
    for (let i = 0; i < x.length; i++) {
      denoised[i] = (x[i] - Math.sqrt(1 - alpha) * eps[i]) / Math.sqrt(alpha);
      x[i] = Math.sqrt(alphaPrev) * denoised[i] + direction * eps[i];
    }
    if (sigma > 0) for (let i = 0; i < x.length; i++) x[i] += sigma * options.rng.nextGaussian();
    options.onStep?.(step, denoised);
  }
  return { latent: x, denoised };
}
