// Checks the learning-rate schedule as the user types, with the trainer's own parser
// (src/train/learningRateSchedule.ts: AUTOMATIC1111's syntax and semantics), against the run's
// max steps and current step, so the page says exactly what the trainer would. The trainer still
// validates what it receives: this only saves a round trip for typos.

import { parseLearningRateSchedule, ScheduleSyntaxError } from '../../src/train/learningRateSchedule';

export interface ScheduleCheck {
  /** False when the trainer would reject the text. */
  ok: boolean;
  /** Why not, with the character position and an example. */
  error?: string;
  /** Things the trainer accepts but probably not what the user meant. */
  warnings: string[];
}

export interface ScheduleContext {
  maxSteps: number;
  /** Steps done so far: entries ending at or before it are skipped, as when resuming. */
  currentStep: number;
}

/** A1111's default max steps, used before the trainer has said how long the run is. */
const defaultContext: ScheduleContext = { maxSteps: 100_000, currentStep: 0 };

export function checkLearningRateSchedule(text: string, context: ScheduleContext = defaultContext): ScheduleCheck {
  if (text.trim() === '') return { ok: false, error: 'Enter a learning rate, e.g. 0.005 or 0.005:12000, 0.0001', warnings: [] };
  try {
    const schedule = parseLearningRateSchedule(text, context.maxSteps, context.currentStep);
    return { ok: true, warnings: schedule.warnings };
  } catch (error) {
    if (error instanceof ScheduleSyntaxError) return { ok: false, error: error.message, warnings: [] };
    throw error;
  }
}
