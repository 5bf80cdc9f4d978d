// The tutorial's reading of the loss curve, turned into guidance events:
//   settled in 0.08–0.13 → healthy; stuck in 0.17–0.25 for long → the images disagree (outfits,
//   styles): check the dataset; above 0.3 for long, or NaN/Inf → diverged: roll back to the
//   saved embedding with the lowest loss and continue with the next lower rate of the plan (a
//   non-finite step is also skipped by the loop, and the message says so); previews that stopped
//   changing → lower the rate to the next one of the plan (0.005 → 0.0001 → 0.00001).
// "For long" is judged on the mean of the last `window` step losses; each kind is reported when
// the state changes, not on every step. A model with random weights (`randomWeights`) cannot
// learn: its loss stays near 1 and its previews barely change, so the same notices come, but
// they say what they mean there and offer no rollback and no rate (a non-finite loss is still
// a real divergence and is reported as one).
import type { GuidanceKind } from '../protocol/trainerMessages';
import { nextLowerLearningRate, smallestUsefulLearningRate } from './learningRateSchedule';

export const lossBands = {
  healthy: [0.08, 0.13],
  plateau: [0.17, 0.25],
  diverged: 0.3,
} as const;

export interface GuidanceEvent {
  type: 'guidance';
  kind: GuidanceKind;
  step: number;
  message: string;
  suggestedLearningRate?: number;
  rollbackTo?: { path: string; step: number; loss: number };
}

export interface LossMonitorOptions {
  /** Number of recent steps whose mean decides a band ("for a long time"). */
  window: number;
  /** Mean absolute pixel difference (0..1) below which consecutive previews count as alike. */
  previewStableDifference: number;
  /** How many consecutive alike previews make "previews stable". */
  previewStableCount: number;
  /** The checkpoint's weights are random (a demo or test model): the bands say nothing about training. */
  randomWeights?: boolean;
}

export const defaultLossMonitorOptions: LossMonitorOptions = { window: 200, previewStableDifference: 0.02, previewStableCount: 3 };

interface SavedEmbedding {
  path: string;
  step: number;
  loss: number;
}

type LossState = 'unknown' | 'healthy' | 'plateau' | 'diverged' | 'other';
const lossStates: readonly LossState[] = ['unknown', 'healthy', 'plateau', 'diverged', 'other'];

/**
 * Everything the monitor remembers, as JSON-compatible data: saved with the run state so that a
 * resumed run averages, judges and rolls back over the same history as one that never stopped.
 */
export interface LossMonitorState {
  recent: number[];
  /** The running sum exactly as accumulated (recomputing it would round differently). */
  sum: number;
  state: LossState;
  saved: SavedEmbedding[];
  alikePreviews: number;
  previewsReported: boolean;
}

export class LossMonitor {
  private recent: number[] = [];
  private sum = 0;
  private state: LossState = 'unknown';
  private saved: SavedEmbedding[] = [];
  private alikePreviews = 0;
  private previewsReported = false;

  constructor(readonly options: LossMonitorOptions = defaultLossMonitorOptions) {}

  /** Mean of the recent window (all losses so far before the window is full). */
  get average(): number {
    return this.recent.length ? this.sum / this.recent.length : Number.NaN;
  }

  /**
   * Records the loss of step `step`, trained at `learningRate`; returns guidance to show (usually
   * none). `applied` is false when the loop skipped the step (a non-finite loss or gradient, or
   * an update that blew the embedding up: `skippedBecause` then says so).
   * Non-finite losses stay out of the window: the average is that of the finite ones.
   */
  observe(step: number, loss: number, learningRate?: number, applied = Number.isFinite(loss), skippedBecause?: string): GuidanceEvent[] {
    if (!Number.isFinite(loss) || !applied) {
      const what =
        skippedBecause ?? (Number.isFinite(loss) ? `the gradient is not finite at step ${step} (loss ${loss.toFixed(4)})` : `the loss is not finite (${loss}) at step ${step}`);
      const rate = learningRate === undefined ? 'the learning rate' : `the learning rate ${learningRate}`;
      return this.enter(
        'diverged',
        step,
        `${what}: this step was skipped (the embedding was not updated). Training diverged ("the furnace exploded"): ${rate} is too high for this run, or half precision overflowed.`,
        learningRate,
      );
    }
    this.recent.push(loss);
    this.sum += loss;
    if (this.recent.length > this.options.window) this.sum -= this.recent.shift()!;
    if (this.recent.length < this.options.window) return [];
    const mean = this.average;
    if (this.options.randomWeights) return this.observeRandomWeights(step, mean);
    if (mean > lossBands.diverged) {
      return this.enter('diverged', step, `the loss has stayed above ${lossBands.diverged} (mean ${mean.toFixed(3)} over the last ${this.options.window} steps): training diverged.`, learningRate);
    }
    if (mean >= lossBands.plateau[0] && mean <= lossBands.plateau[1]) {
      return this.enter(
        'plateau',
        step,
        `the loss has stayed between ${lossBands.plateau[0]} and ${lossBands.plateau[1]} (mean ${mean.toFixed(3)} over ${this.options.window} steps): the training images probably disagree with each other — different outfits or very different drawing styles. Check the dataset (see its lint results).`,
      );
    }
    if (mean >= lossBands.healthy[0] && mean <= lossBands.healthy[1]) {
      return this.enter('healthy', step, `the loss has settled at ${mean.toFixed(3)}, inside the healthy ${lossBands.healthy[0]}–${lossBands.healthy[1]} band.`);
    }
    this.state = 'other';
    return [];
  }

  private observeRandomWeights(step: number, mean: number): GuidanceEvent[] {
    const band = mean > lossBands.diverged ? 'diverged' : mean >= lossBands.plateau[0] && mean <= lossBands.plateau[1] ? 'plateau' : mean >= lossBands.healthy[0] && mean <= lossBands.healthy[1] ? 'healthy' : null;
    if (band === null) {
      this.state = 'other';
      return [];
    }
    if (band === this.state) return [];
    this.state = band;
    const over = `(mean ${mean.toFixed(3)} over the last ${this.options.window} steps)`;
    const message = {
      diverged: `the loss has stayed above ${lossBands.diverged} ${over}, as it does with random weights: not a divergence, and nothing to roll back to. On a real checkpoint this notice offers a rollback and a lower learning rate.`,
      plateau: `the loss has stayed between ${lossBands.plateau[0]} and ${lossBands.plateau[1]} ${over} by chance: with random weights it says nothing about the dataset.`,
      healthy: `the loss is inside the healthy ${lossBands.healthy[0]}–${lossBands.healthy[1]} band ${over} by chance: with random weights it says nothing about the embedding.`,
    }[band];
    return [{ type: 'guidance', kind: band, step, message }];
  }

  /** Remembers a saved embedding and the loss it was saved at (rollback candidates). */
  noteSaved(path: string, step: number, loss: number): void {
    if (Number.isFinite(loss)) this.saved.push({ path, step, loss });
  }

  /** The saved embedding with the lowest loss (at or before `beforeStep`). */
  rollbackTarget(beforeStep = Infinity): SavedEmbedding | undefined {
    let best: SavedEmbedding | undefined;
    for (const s of this.saved) if (s.step <= beforeStep && (!best || s.loss < best.loss)) best = s;
    return best;
  }

  /** Records how much a preview differs from the previous one at the current learning rate. */
  observePreview(step: number, differenceFromPrevious: number | null, learningRate: number): GuidanceEvent[] {
    if (differenceFromPrevious === null) return [];
    if (differenceFromPrevious < this.options.previewStableDifference) this.alikePreviews += 1;
    else {
      this.alikePreviews = 0;
      this.previewsReported = false;
    }
    if (this.alikePreviews < this.options.previewStableCount - 1 || this.previewsReported) return [];
    this.previewsReported = true;
    const next = nextLowerLearningRate(learningRate);
    if (this.options.randomWeights) {
      const real = next === null ? 'it means training has converged' : `it suggests lowering the learning rate to ${next}`;
      return [{ type: 'guidance', kind: 'previews-stable', step, message: `the last ${this.options.previewStableCount} previews look alike, as a random model's do: on a real checkpoint ${real}.` }];
    }
    const message =
      next === null
        ? `the last ${this.options.previewStableCount} previews look alike and the rate ${learningRate} is already at the tutorial's floor: training has converged; stop here.`
        : `the last ${this.options.previewStableCount} previews look alike: stop, lower the learning rate to ${next} and continue until the previews are clear again.`;
    return [{ type: 'guidance', kind: 'previews-stable', step, message, ...(next === null ? {} : { suggestedLearningRate: next }) }];
  }

  saveState(): LossMonitorState {
    return { recent: [...this.recent], sum: this.sum, state: this.state, saved: this.saved.map((s) => ({ ...s })), alikePreviews: this.alikePreviews, previewsReported: this.previewsReported };
  }

  /** Takes back a saved state; `what` names the file in the error for a damaged one. */
  restoreState(saved: unknown, what: string): void {
    const s = saved as Partial<LossMonitorState> | null;
    const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
    const ok =
      typeof s === 'object' && s !== null &&
      Array.isArray(s.recent) && s.recent.every(finite) && s.recent.length <= this.options.window &&
      finite(s.sum) && lossStates.includes(s.state as LossState) &&
      Array.isArray(s.saved) && s.saved.every((e) => typeof e?.path === 'string' && Number.isInteger(e.step) && finite(e.loss)) &&
      Number.isInteger(s.alikePreviews) && typeof s.previewsReported === 'boolean';
    if (!ok) throw new Error(`${what}: the saved loss history is damaged; resume from an embedding instead (--init-embedding)`);
    const state = s as LossMonitorState;
    this.recent = [...state.recent];
    this.sum = state.sum;
    this.state = state.state;
    this.saved = state.saved.map((e) => ({ ...e }));
    this.alikePreviews = state.alikePreviews;
    this.previewsReported = state.previewsReported;
  }

  /** Forget the window (after a rollback or a learning-rate change). */
  reset(): void {
    this.recent.length = 0;
    this.sum = 0;
    this.state = 'unknown';
    this.alikePreviews = 0;
    this.previewsReported = false;
  }

  private enter(state: Exclude<LossState, 'unknown' | 'other'>, step: number, message: string, learningRate?: number): GuidanceEvent[] {
    if (this.state === state) return [];
    this.state = state;
    if (state !== 'diverged') return [{ type: 'guidance', kind: state, step, message }];
    const target = this.rollbackTarget(step);
    const next = learningRate === undefined ? null : nextLowerLearningRate(learningRate);
    // The tutorial's plan: 0.005, then 0.0001, then 0.00001, never below 0.000001.
    const plan = "(the tutorial's plan: 0.005, then 0.0001, then 0.00001)";
    const lower =
      next !== null
        ? `the learning rate lowered to ${next} ${plan}`
        : learningRate !== undefined && learningRate <= smallestUsefulLearningRate
          ? `a lower learning rate, though ${learningRate} is already at the tutorial's floor (0.000001): at so small a rate suspect the model or the dataset instead`
          : `a lower learning rate ${plan}`;
    const advice = target
      ? ` Roll back to ${target.path} (step ${target.step}, loss ${target.loss.toFixed(4)}) and continue with ${lower}.`
      : ` No embedding was saved yet to roll back to: restart with ${lower}.`;
    return [
      {
        type: 'guidance',
        kind: 'diverged',
        step,
        message: message + advice,
        ...(next !== null ? { suggestedLearningRate: next } : {}),
        ...(target ? { rollbackTo: { ...target } } : {}),
      },
    ];
  }
}
