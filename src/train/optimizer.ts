// AdamW on the embedding vectors with torch.optim.AdamW's formula and A1111's settings
// (betas 0.9/0.999, eps 1e-8, weight_decay 0):
//   θ ← θ·(1 − lr·λ);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   θ ← θ − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
// Moments are kept in float64 and the parameters rounded to float32 (what the graph consumes),
// so a resumed run that restores both continues bit for bit.

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export const a1111AdamW: AdamWSettings = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };

export interface AdamWState {
  /** Number of updates applied so far (torch's `step`). */
  step: number;
  firstMoment: Float64Array;
  secondMoment: Float64Array;
}

export function createAdamWState(size: number): AdamWState {
  return { step: 0, firstMoment: new Float64Array(size), secondMoment: new Float64Array(size) };
}

/** One update of `parameters` in place. */
export function adamWStep(parameters: Float32Array, gradient: Float32Array, state: AdamWState, learningRate: number, settings: AdamWSettings = a1111AdamW): void {
  if (gradient.length !== parameters.length || state.firstMoment.length !== parameters.length) {
    throw new Error(`AdamW: ${parameters.length} parameters, ${gradient.length} gradient values, ${state.firstMoment.length} moments`);
  }
  const { beta1, beta2, epsilon, weightDecay } = settings;
  state.step += 1;
  const biasCorrection1 = 1 - beta1 ** state.step;
  const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
  const stepSize = learningRate / biasCorrection1;
  const m = state.firstMoment;
  const v = state.secondMoment;
  for (let i = 0; i < parameters.length; i++) {
    const g = gradient[i];
    let p = parameters[i] * (1 - learningRate * weightDecay);
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    p -= (stepSize * m[i]) / (Math.sqrt(v[i]) / biasCorrection2Sqrt + epsilon);
    parameters[i] = p;
  }
}
