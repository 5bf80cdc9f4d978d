// Everything needed to continue a run exactly where it was saved: the embedding, AdamW's
// moments and step, the number of training steps done, the random generator's state and the
// current learning-rate schedule. One .safetensors file written atomically, so a kill at any
// moment leaves either the previous state or the new one.
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
    };
  } finally {
    file.close();
  }
}
