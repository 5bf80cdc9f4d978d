// How the status bar and the Runs view write a live run's loss. A step whose loss was not finite
// (the trainer sends null) reads "loss: not finite", never as a number or as nothing; no vscode
// import, so it is tested without an editor.
import type { RunSnapshot } from '../training/runRegistry';

/**
 * "loss 0.123" (the moving average, else the step's loss), "loss: not finite" after a step whose
 * loss was NaN or ±Infinity, '' before the first progress. Only progress events set
 * `stepsPerSecond`, so a null loss with it set was reported, not merely not yet received.
 */
export function snapshotLossText(s: Pick<RunSnapshot, 'loss' | 'lossAverage' | 'stepsPerSecond'>): string {
  if (s.stepsPerSecond === null) return '';
  if (s.loss === null) return 'loss: not finite';
  return `loss ${(s.lossAverage ?? s.loss).toFixed(3)}`;
}
