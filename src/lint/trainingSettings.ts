// The dataset's training settings as far as linting cares: `.embedding-studio/training.json`
// in the dataset root, `{ "mirror": true }` when preprocessing adds mirrored copies of the
// images (heterochromia-flip warns then). Other keys belong to the trainer and are ignored here.

export interface TrainingLintSettings {
  mirror: boolean;
  /** Offsets of the `"mirror": true` member in the file, for the fix that turns it off. */
  mirrorValue?: { start: number; end: number };
  problem?: string;
}

export function parseTrainingSettings(text: string | undefined, displayName: string): TrainingLintSettings {
  if (text === undefined || text.trim() === '') return { mirror: false };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { mirror: false, problem: `${displayName} is not valid JSON (${(error as Error).message}); fix it so the training settings are known.` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { mirror: false, problem: `${displayName} must hold a JSON object such as {"mirror": false}.` };
  }
  const mirror = (raw as Record<string, unknown>).mirror;
  if (mirror === undefined) return { mirror: false };
  if (typeof mirror !== 'boolean') return { mirror: false, problem: `${displayName}: "mirror" must be true or false.` };
  const match = /"mirror"\s*:\s*(true|false)/.exec(text);
  const mirrorValue = match ? { start: match.index + match[0].length - match[1].length, end: match.index + match[0].length } : undefined;
  return { mirror, mirrorValue };
}
