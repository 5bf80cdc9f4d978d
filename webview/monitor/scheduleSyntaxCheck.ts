// A quick client-side check of the AUTOMATIC1111 learning-rate schedule syntax
// (`0.005`, `0.005:12000, 0.0001:20000, 0.00001`), so typos are caught as the user types.
// The trainer parses and validates the schedule for real; this only mirrors A1111's rules:
// entries are `rate[:step]`, steps increase, a rate without a step (or `:-1`) runs to the end
// and whatever follows it is ignored.

export interface ScheduleCheck {
  /** False when the trainer would reject the text. */
  ok: boolean;
  /** The first error, naming the entry and what to write instead. */
  error?: string;
  /** Things A1111 accepts but probably not what the user meant. */
  warnings: string[];
}

/** The tutorial's floor: 512×512 training images carry no detail that smaller rates could learn. */
const smallestUsefulRate = 1e-6;
const rateSyntax = /^(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

export function checkLearningRateSchedule(text: string): ScheduleCheck {
  const warnings: string[] = [];
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === '')) {
    return { ok: false, error: 'Enter a learning rate, e.g. 0.005 or 0.005:12000, 0.0001', warnings };
  }
  let lastStep = 0;
  let endedAt: number | null = null;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const where = `entry ${i + 1} ("${entry}")`;
    if (entry === '') {
      if (i < entries.length - 1) warnings.push(`entry ${i + 1} is empty and is skipped`);
      continue;
    }
    const parts = entry.split(':').map((part) => part.trim());
    if (parts.length > 2) return { ok: false, error: `${where}: write rate:step with a single colon`, warnings };
    const [rateText, stepText] = parts;
    if (!rateSyntax.test(rateText)) {
      return { ok: false, error: `${where}: "${rateText}" is not a number; write a rate such as 0.005`, warnings };
    }
    const rate = Number(rateText);
    if (!(rate > 0)) return { ok: false, error: `${where}: the rate must be greater than 0`, warnings };
    if (endedAt !== null) {
      warnings.push(`${where} is ignored: entry ${endedAt} has no step, so it runs to the end`);
      continue;
    }
    if (rate < smallestUsefulRate) {
      warnings.push(`${where}: rates below 0.000001 change nothing on 512×512 images`);
    }
    if (stepText === undefined || stepText === '-1') {
      endedAt = i + 1;
      continue;
    }
    if (!/^\d+$/.test(stepText)) {
      return { ok: false, error: `${where}: the step "${stepText}" must be a whole number (or -1 for "to the end")`, warnings };
    }
    const step = Number(stepText);
    if (step <= lastStep) {
      warnings.push(`${where} is ignored: its step ${step} is not after the previous step ${lastStep}`);
      continue;
    }
    lastStep = step;
  }
  return { ok: true, warnings };
}
