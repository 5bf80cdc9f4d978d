// Everything needed to continue a run exactly where it was saved: the embedding, AdamW's
// moments and step, the number of training steps done, the random generator's state and the
// current learning-rate schedule, and the run's history (the loss monitor's window and saved
// embeddings, the best average loss): a resumed run judges, averages and rolls back exactly as
// the run that never stopped. One .safetensors file written atomically, so a kill at any moment
// leaves either the previous state or the new one.
import { openSafetensors, writeSafetensors } from '../sd/safetensors';
import type { AdamWState } from './optimizer';

export interface RunState {
  /** Training steps done. */
  step: number;
  name: string;
  vectors: Float32Array;
  count: number;
  width: number;
  optimizer: AdamWState;
  /** The serialised state of the run's random generator (JSON-compatible). */
  random: unknown;
  /** The learning-rate schedule in force (it may have been changed while running). */
  learnRate: string;
  /** Loss average when saved (for rollback choices). */
  loss: number | null;
  /** What the loop has learnt about the run so far; null in state files written before it was kept. */
  history?: RunHistory | null;
}

/** The run's memory beyond the numbers of the step (JSON-compatible; paths relative to the run folder). */
export interface RunHistory {
  /** The step the run began at (0, or the step stored in --init-embedding). */
  firstStep: number;
  bestLoss: number | null;
  /** The last embedding saved, relative to the run folder. */
  lastSaved: string | null;
  /** The loss monitor's state (LossMonitorState, saved paths relative to the run folder). */
  monitor: unknown;
  /** The embedding RMS beyond which an update counts as an explosion (set at the first start). */
  explosionLimit: number;
}

export const runStateFileName = 'run-state.safetensors';

export function writeRunState(path: string, state: RunState): void {
  const size = state.count * state.width;
  if (state.vectors.length !== size || state.optimizer.firstMoment.length !== size || state.optimizer.secondMoment.length !== size) {
    throw new Error(`run state: embedding and optimiser sizes disagree (${state.vectors.length}, ${state.optimizer.firstMoment.length}, ${state.optimizer.secondMoment.length}; expected ${size})`);
  }
  writeSafetensors(
    path,
    [
      { name: 'embedding', dtype: 'F32', shape: [state.count, state.width], data: state.vectors },
      { name: 'adam_first_moment', dtype: 'F64', shape: [state.count, state.width], data: state.optimizer.firstMoment },
      { name: 'adam_second_moment', dtype: 'F64', shape: [state.count, state.width], data: state.optimizer.secondMoment },
    ],
    {
      kind: 'embedding-studio run state',
      step: String(state.step),
      name: state.name,
      adam_step: String(state.optimizer.step),
      random: JSON.stringify(state.random),
      learn_rate: state.learnRate,
      loss: state.loss === null ? '' : String(state.loss),
      ...(state.history ? { history: JSON.stringify(state.history) } : {}),
    },
  );
}

export function readRunState(path: string): RunState {
  const file = openSafetensors(path);
  try {
    const m = file.metadata;
    if (m.kind !== 'embedding-studio run state') throw new Error(`${path}: not a run state file (metadata kind is ${JSON.stringify(m.kind)}); delete it or start a new run without --resume`);
    const info = file.tensors.get('embedding');
    if (!info || info.shape.length !== 2) throw new Error(`${path}: the run state has no [vectors, width] embedding tensor — the file is damaged; resume from an embedding instead`);
    const readF64 = (name: string) => {
      const raw = file.readRaw(name);
      const copy = Buffer.from(raw);
      return new Float64Array(copy.buffer, copy.byteOffset, copy.length / 8);
    };
    return {
      step: Number(m.step),
      name: m.name,
      vectors: file.readFloat32('embedding'),
      count: info.shape[0],
      width: info.shape[1],
      optimizer: { step: Number(m.adam_step), firstMoment: readF64('adam_first_moment'), secondMoment: readF64('adam_second_moment') },
      random: JSON.parse(m.random),
      learnRate: m.learn_rate,
      loss: m.loss === '' || m.loss === undefined ? null : Number(m.loss),
      history: m.history ? parseHistory(m.history, path) : null,
    };
  } finally {
    file.close();
  }
}

function parseHistory(text: string, path: string): RunHistory {
  let value: Partial<RunHistory>;
  try {
    value = JSON.parse(text);
  } catch {
    value = {};
  }
  const ok =
    typeof value === 'object' && value !== null && Number.isInteger(value.firstStep) && (value.bestLoss === null || typeof value.bestLoss === 'number') &&
    (value.lastSaved === null || typeof value.lastSaved === 'string') && typeof value.explosionLimit === 'number' && value.monitor !== undefined;
  if (!ok) throw new Error(`${path}: the run history in the run state is damaged — resume from an embedding instead (--init-embedding)`);
  return value as RunHistory;
}
