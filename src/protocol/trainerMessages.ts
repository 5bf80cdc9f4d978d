// Typed messages between the extension host (or CLI) and the trainer child process.
// Host -> trainer: TrainerCommand. Trainer -> host: TrainerEvent. Both sides validate what they
// receive with parseTrainerCommand / parseTrainerEvent: a message from another process is
// untrusted input until checked. The CLI prints the same events as JSON lines (--json).

export type TrainingPhase =
  | 'loading-model'
  | 'encoding-latents'
  | 'building-graph'
  | 'creating-session'
  | 'training'
  | 'rendering-preview'
  | 'saving';

export type GuidanceKind = 'healthy' | 'plateau' | 'diverged' | 'previews-stable';

export type FinishReason = 'completed' | 'stopped' | 'diverged' | 'schedule-ended';

export interface MemoryUsage {
  rssBytes: number;
  /** Peak resident set size of the trainer process so far. */
  peakRssBytes: number;
}

export type TrainerEvent =
  | {
      type: 'started';
      runDir: string;
      embeddingName: string;
      vectors: number;
      startStep: number;
      maxSteps: number;
      /** The execution provider that ORT accepted, e.g. 'cpu', 'cuda'. */
      provider: string;
      /** Why each provider tried before the chosen one was skipped. */
      providerNotes: string[];
      /** float32 or float16 compute, and why (src/train/computePrecision.ts). Absent in runs replayed from a folder. */
      computePrecision?: { precision: 'float32' | 'float16'; reason: string };
      /** The run configuration as stored in the run folder (run-config.json). */
      config: Record<string, unknown>;
    }
  | { type: 'phase'; phase: TrainingPhase; detail: string; current?: number; total?: number }
  | {
      type: 'progress';
      step: number;
      epoch: number;
      epochStep: number;
      /**
       * The step's loss; null when it was not finite (NaN or ±Infinity: the learning rate is too
       * high, or fp16 overflowed). JSON has no NaN, and no number stands in for one: −1 or any
       * other figure is a loss like any other. A null loss comes with a 'diverged' guidance.
       */
      loss: number | null;
      /** Moving average of the finite losses (the value the guidance looks at); null while there is none. */
      lossAverage: number | null;
      learningRate: number;
      stepsPerSecond: number;
      /** Seconds to max steps at the current speed; null before the speed is known. */
      etaSeconds: number | null;
      memory: MemoryUsage;
    }
  | { type: 'saved'; step: number; path: string; loss: number | null; kind: 'embedding' | 'state' }
  | {
      type: 'preview';
      step: number;
      path: string;
      prompt: string;
      negativePrompt: string;
      seed: number;
      sampler: string;
      samplingSteps: number;
      /** Mean absolute pixel difference (0..1) from the previous preview of the same prompt; null for the first. */
      differenceFromPrevious: number | null;
    }
  | {
      type: 'guidance';
      kind: GuidanceKind;
      step: number;
      message: string;
      /** For 'previews-stable' and 'diverged': the next lower rate of the tutorial's plan. */
      suggestedLearningRate?: number;
      /** For 'diverged': the saved embedding with the lowest recent loss. */
      rollbackTo?: { path: string; step: number; loss: number };
    }
  | { type: 'paused'; step: number }
  | { type: 'resumed'; step: number }
  | { type: 'learningRateChanged'; step: number; schedule: string; learningRate: number }
  | { type: 'finished'; reason: FinishReason; step: number; embeddingPath: string | null; bestLoss: number | null }
  | { type: 'error'; message: string; detail?: string; logPath?: string }
  | { type: 'log'; level: 'info' | 'warning'; message: string };

export type TrainerCommand =
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'saveNow' }
  | { type: 'setLearningRate'; schedule: string }
  | { type: 'rollback'; embeddingPath: string; schedule?: string };

export class ProtocolError extends Error {}

type Shape = Record<string, 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string?' | 'number?' | 'object?' | 'number|null' | 'string|null' | 'finite|null'>;

const eventShapes: Record<TrainerEvent['type'], Shape> = {
  started: {
    runDir: 'string',
    embeddingName: 'string',
    vectors: 'number',
    startStep: 'number',
    maxSteps: 'number',
    provider: 'string',
    providerNotes: 'array',
    computePrecision: 'object?',
    config: 'object',
  },
  phase: { phase: 'string', detail: 'string', current: 'number?', total: 'number?' },
  progress: {
    step: 'number',
    epoch: 'number',
    epochStep: 'number',
    loss: 'finite|null',
    lossAverage: 'finite|null',
    learningRate: 'number',
    stepsPerSecond: 'number',
    etaSeconds: 'number|null',
    memory: 'object',
  },
  saved: { step: 'number', path: 'string', loss: 'number|null', kind: 'string' },
  preview: {
    step: 'number',
    path: 'string',
    prompt: 'string',
    negativePrompt: 'string',
    seed: 'number',
    sampler: 'string',
    samplingSteps: 'number',
    differenceFromPrevious: 'number|null',
  },
  guidance: { kind: 'string', step: 'number', message: 'string', suggestedLearningRate: 'number?', rollbackTo: 'object?' },
  paused: { step: 'number' },
  resumed: { step: 'number' },
  learningRateChanged: { step: 'number', schedule: 'string', learningRate: 'number' },
  finished: { reason: 'string', step: 'number', embeddingPath: 'string|null', bestLoss: 'number|null' },
  error: { message: 'string', detail: 'string?', logPath: 'string?' },
  log: { level: 'string', message: 'string' },
};

const commandShapes: Record<TrainerCommand['type'], Shape> = {
  pause: {},
  resume: {},
  stop: {},
  saveNow: {},
  setLearningRate: { schedule: 'string' },
  rollback: { embeddingPath: 'string', schedule: 'string?' },
};

const enums: Record<string, Record<string, readonly string[]>> = {
  phase: { phase: ['loading-model', 'encoding-latents', 'building-graph', 'creating-session', 'training', 'rendering-preview', 'saving'] },
  guidance: { kind: ['healthy', 'plateau', 'diverged', 'previews-stable'] },
  finished: { reason: ['completed', 'stopped', 'diverged', 'schedule-ended'] },
  saved: { kind: ['embedding', 'state'] },
  log: { level: ['info', 'warning'] },
};

const fieldChecks: Record<string, (v: unknown) => boolean> = {
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
  number: (v) => typeof v === 'number' && !Number.isNaN(v),
  'number|null': (v) => v === null || (typeof v === 'number' && !Number.isNaN(v)),
  'string|null': (v) => v === null || typeof v === 'string',
  // A loss: null says "not finite", so NaN and ±Infinity themselves are never accepted.
  'finite|null': (v) => v === null || (typeof v === 'number' && Number.isFinite(v)),
};

function check(value: unknown, shapes: Record<string, Shape>, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what}: expected an object, got ${value === null ? 'null' : typeof value}`);
  }
  const message = value as Record<string, unknown>;
  const type = message.type;
  if (typeof type !== 'string' || !(type in shapes)) {
    throw new ProtocolError(`${what}: unknown message type ${JSON.stringify(type)}`);
  }
  for (const [field, kind] of Object.entries(shapes[type])) {
    const v = message[field];
    const optional = kind.endsWith('?');
    const base = kind.replace('?', '');
    if (v === undefined && optional) continue;
    if (!fieldChecks[base](v)) {
      // JSON.stringify writes NaN and Infinity as null: name them as they are.
      const got = typeof v === 'number' && !Number.isFinite(v) ? String(v) : JSON.stringify(v);
      throw new ProtocolError(`${what} '${type}': field '${field}' should be ${kind}, got ${got}`);
    }
  }
  for (const [field, allowed] of Object.entries(enums[type] ?? {})) {
    if (message[field] !== undefined && !allowed.includes(message[field] as string)) {
      throw new ProtocolError(`${what} '${type}': field '${field}' must be one of ${allowed.join(', ')}, got ${JSON.stringify(message[field])}`);
    }
  }
  return message;
}

/**
 * Validates a message received from the trainer. A progress loss is a finite number or null (not
 * finite); NaN, ±Infinity and strings are refused, so a non-finite loss can only arrive as null.
 */
export function parseTrainerEvent(value: unknown): TrainerEvent {
  return check(value, eventShapes, 'trainer event') as unknown as TrainerEvent;
}

export function parseTrainerCommand(value: unknown): TrainerCommand {
  return check(value, commandShapes, 'trainer command') as unknown as TrainerCommand;
}
