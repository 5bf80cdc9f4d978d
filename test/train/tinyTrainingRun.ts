// Training runs on the sd1-tiny fixture for the crash-safety and bad-input tests: its model and
// the CLIP vocabulary (one constant each, so a move of the fixture is a one-line change), a run
// configuration at 64×64, and a run in this process that can be cut off at any event as a kill
// would cut it (nothing after that event happens: no write, no save).
import { clipVocabulary, fixtureModel } from '../sd/fixtureFiles';
import { mergeRunConfig, type RunConfig } from '../../src/train/config';
import { runTraining, type TrainingRunControl } from '../../src/train/trainingRun';
import type { LoopResult } from '../../src/train/loop';
import { parseTrainerEvent, type TrainerEvent } from '../../src/protocol/trainerMessages';

export const tinyModelPath = fixtureModel;
/** The CLIP BPE vocabulary the repository ships (resources/clip). */
export const clipVocabularyPath = clipVocabulary;

export function tinyRunConfig(data: string, out: string, overrides: Partial<RunConfig> = {}): RunConfig {
  return mergeRunConfig({
    model: tinyModelPath, data, name: 'tinyemb', vectors: 2, initText: 'girl', learnRate: '0.005', maxSteps: 12, width: 64, height: 64,
    saveEvery: 4, previewEvery: 0, writeCsvEvery: 1, provider: 'cpu', out, tokenizer: clipVocabularyPath, textHeads: 4, unetHeads: 2, seed: 3,
    template: 'subject_filewords', shuffleTags: true, tagDropOut: 0.1, latentSampling: 'random', previewSteps: 2, ...overrides,
  });
}

/** Thrown from `emit` to end a run at an event, the way a kill ends a process there. */
export class SimulatedKill extends Error {}

export interface CutRun {
  events: TrainerEvent[];
  result?: LoopResult;
  killed: boolean;
}

/** Runs in this process; `killAt` ends the run right after the event it picks is emitted. */
export async function runUntil(config: RunConfig, options: { resume?: boolean; killAt?: (event: TrainerEvent) => boolean; control?: Partial<TrainingRunControl> } = {}): Promise<CutRun> {
  const events: TrainerEvent[] = [];
  const emit = (event: TrainerEvent) => {
    // every event crosses the wire in the real processes: check it as the host would
    events.push(parseTrainerEvent(JSON.parse(JSON.stringify(event))));
    if (options.killAt?.(event)) throw new SimulatedKill();
  };
  try {
    const result = await runTraining(config, { emit, resume: options.resume ?? false, intraOpThreads: 1, ...options.control });
    return { events, result, killed: false };
  } catch (error) {
    if (error instanceof SimulatedKill) return { events, killed: true };
    throw error;
  }
}

/** The progress figures a run reports, by step (a resumed run's repeats replace the earlier ones). */
export function historyByStep(runs: TrainerEvent[][]): Map<number, { loss: number | null; lossAverage: number | null; learningRate: number }> {
  const history = new Map<number, { loss: number | null; lossAverage: number | null; learningRate: number }>();
  for (const events of runs) {
    for (const e of events) if (e.type === 'progress') history.set(e.step, { loss: e.loss, lossAverage: e.lossAverage, learningRate: e.learningRate });
  }
  return history;
}
