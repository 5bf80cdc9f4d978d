// The SD1 DDPM noise schedule: ldm's "linear" (diffusers' "scaled_linear"), betas =
// linspace(sqrt(0.00085), sqrt(0.012), 1000)^2, computed in float64 like the reference.

export interface NoiseScheduleOptions {
  linearStart?: number;
  linearEnd?: number;
  timesteps?: number;
}

/** alphas_cumprod[t] = prod_{s<=t} (1 - beta_s), in float64. */
export function sd1AlphasCumprod(options: NoiseScheduleOptions = {}): Float64Array {
  const start = options.linearStart ?? 0.00085;
  const end = options.linearEnd ?? 0.012;
  const steps = options.timesteps ?? 1000;
  const out = new Float64Array(steps);
  const a = Math.sqrt(start);
  const b = Math.sqrt(end);
  let product = 1;
  for (let i = 0; i < steps; i++) {
    // numpy/torch linspace: start + i*step, with the last point exactly `end`.
    const root = i === steps - 1 ? b : a + i * ((b - a) / (steps - 1));
    product *= 1 - root * root;
    out[i] = product;
  }
  return out;
}

/**
 * The schedule a checkpoint carries (`alphas_cumprod` buffer, float32 in real files) when it
 * has one, else the SD1 default. Fine-tuned models sometimes ship their own schedule.
 */
export function noiseScheduleFromCheckpoint(alphasCumprod: Float32Array | undefined): Float64Array {
  if (alphasCumprod && alphasCumprod.length > 0) return Float64Array.from(alphasCumprod);
  return sd1AlphasCumprod();
}

/** sqrt(a_t) and sqrt(1 - a_t) for q(x_t | x_0) = sqrt(a)·x0 + sqrt(1-a)·noise. */
export function noisingCoefficients(alphasCumprod: Float64Array, t: number): { signal: number; noise: number } {
  if (!Number.isInteger(t) || t < 0 || t >= alphasCumprod.length) {
    throw new Error(`timestep ${t} is outside the schedule's 0..${alphasCumprod.length - 1}.`);
  }
  const a = alphasCumprod[t];
  return { signal: Math.sqrt(a), noise: Math.sqrt(1 - a) };
}
