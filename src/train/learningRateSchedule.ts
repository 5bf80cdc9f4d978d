// AUTOMATIC1111's learning-rate schedule strings (`0.005:12000, 0.0001:20000, 0.00001`), with
// A1111's semantics (modules/textual_inversion/learn_schedule.py, LearnScheduleIterator):
// each `rate:step` applies while the step count is below `step`; a rate with no step, or with
// `:-1`, runs to max steps and everything after it is ignored; entries whose step is already
// reached are skipped when resuming. The same syntax is used for the gradient-clipping value.

export interface ScheduleEntry {
  rate: number;
  /** The rate applies while the number of steps done is below this. */
  endStep: number;
  /** 0-based character offset of the entry in the text. */
  position: number;
}

export interface LearningRateSchedule {
  text: string;
  entries: ScheduleEntry[];
  /** Step at which the schedule runs out (A1111 stops training there without a word). */
  endStep: number;
  warnings: string[];
}

export class ScheduleSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly position: number,
    problem: string,
  ) {
    super(`learning-rate schedule "${text}", character ${position + 1}: ${problem}. Expected e.g. "0.005" or "0.005:12000, 0.0001:20000, 0.00001"`);
  }
}

/** The tutorial's floor: images are 512×512 and fine detail is already gone, so smaller rates change nothing. */
export const smallestUsefulLearningRate = 1e-6;

const numberPattern = /^[+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

export function parseLearningRateSchedule(text: string, maxSteps: number, currentStep = 0, what = 'learning rate'): LearningRateSchedule {
  const entries: ScheduleEntry[] = [];
  const warnings: string[] = [];
  let offset = 0;
  let ended = false;
  let ignoredFrom: number | null = null;
  for (const part of text.split(',')) {
    const partStart = offset;
    offset += part.length + 1;
    if (!part.trim()) continue;
    const position = partStart + (part.length - part.trimStart().length);
    if (ended) {
      ignoredFrom ??= position;
      continue;
    }
    const pieces = part.split(':');
    if (pieces.length > 2) throw new ScheduleSyntaxError(text, position, `"${part.trim()}" has more than one ':'`);
    const rateText = pieces[0].trim();
    if (/^-/.test(rateText) && numberPattern.test(rateText.slice(1))) throw new ScheduleSyntaxError(text, position, `the ${what} must be greater than 0, got ${rateText}`);
    if (!numberPattern.test(rateText)) throw new ScheduleSyntaxError(text, position, `"${rateText}" is not a number`);
    const rate = Number(rateText);
    if (!(rate > 0) || !Number.isFinite(rate)) throw new ScheduleSyntaxError(text, position, `the ${what} must be greater than 0`);
    if (pieces.length === 1) {
      entries.push({ rate, endStep: maxSteps, position });
      ended = true;
      continue;
    }
    const stepText = pieces[1].trim();
    const stepPosition = partStart + pieces[0].length + 1 + (pieces[1].length - pieces[1].trimStart().length);
    if (!/^-?\d+$/.test(stepText)) throw new ScheduleSyntaxError(text, stepPosition, `"${stepText}" is not a whole step number`);
    const step = Number(stepText);
    if (step === -1) {
      entries.push({ rate, endStep: maxSteps, position });
      ended = true;
    } else if (step < 0) {
      throw new ScheduleSyntaxError(text, stepPosition, `step ${step} is negative (only -1, "to the end", is allowed)`);
    } else if (step > currentStep) {
      const previous = entries[entries.length - 1];
      if (previous && step <= previous.endStep) {
        throw new ScheduleSyntaxError(text, stepPosition, `step ${step} is not after the previous entry's step ${previous.endStep}; steps must increase`);
      }
      entries.push({ rate, endStep: Math.min(step, maxSteps), position });
      if (step > maxSteps) ended = true;
    }
    // An entry whose step is already reached is skipped, as A1111 does when resuming.
  }
  if (entries.length === 0) {
    throw new ScheduleSyntaxError(text, 0, currentStep > 0 ? `every entry ends at or before the current step ${currentStep}` : 'the schedule is empty');
  }
  if (ignoredFrom !== null) {
    warnings.push(`${what} schedule: everything from character ${ignoredFrom + 1} on is ignored, because the entry before it already runs to the last step (${maxSteps})`);
  }
  const endStep = entries[entries.length - 1].endStep;
  if (endStep < maxSteps) {
    warnings.push(
      `${what} schedule ends at step ${endStep}, before max steps ${maxSteps}: training would stop there (AUTOMATIC1111 stops silently). ` +
        `Add a last rate without a step to train to the end, e.g. "${text.trim()}, ${entries[entries.length - 1].rate / 10}".`,
    );
  }
  if (what === 'learning rate') {
    for (const entry of entries) {
      if (entry.rate < smallestUsefulLearningRate) {
        warnings.push(
          `learning rate ${entry.rate} is below 0.000001: training images are 512×512 and fine detail was already lost in preprocessing, so smaller rates change nothing — keep it at 0.000001 or above.`,
        );
      }
    }
  }
  return { text, entries, endStep, warnings };
}

/** The rate for the next step when `stepsDone` steps are done; null when the schedule has ended. */
export function learningRateAt(schedule: LearningRateSchedule, stepsDone: number): number | null {
  for (const entry of schedule.entries) if (stepsDone < entry.endStep) return entry.rate;
  return null;
}

/** The tutorial's plan: 0.005, then 0.0001, then 0.00001, never below 0.000001. */
export function nextLowerLearningRate(current: number): number | null {
  const plan = [0.005, 0.0001, 0.00001, 0.000001];
  const next = plan.find((rate) => rate < current * 0.999);
  return next ?? null;
}
