// A1111's gradient clipping (clip_grad_mode): torch.nn.utils.clip_grad_value_ clamps each value
// to [−c, c]; clip_grad_norm_ scales the whole gradient by c / (‖g‖₂ + 1e−6) when that is < 1.
import type { GradientClipping } from './config';

export function clipGradientInPlace(gradient: Float32Array, mode: GradientClipping, limit: number): void {
  if (mode === 'disabled') return;
  if (mode === 'value') {
    for (let i = 0; i < gradient.length; i++) gradient[i] = Math.min(limit, Math.max(-limit, gradient[i]));
    return;
  }
  let sumOfSquares = 0;
  for (let i = 0; i < gradient.length; i++) sumOfSquares += gradient[i] * gradient[i];
  const coefficient = limit / (Math.sqrt(sumOfSquares) + 1e-6);
  if (coefficient < 1) for (let i = 0; i < gradient.length; i++) gradient[i] *= coefficient;
}
