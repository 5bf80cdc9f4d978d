// One ORT session for a graph whose weights live in the checkpoint: small checkpoints are handed
// to ORT in memory; large ones get their .onnx written beside the checkpoint (or into a cache
// folder with a hard link) so ORT memory-maps the weights instead of copying gigabytes.
import { statSync } from 'node:fs';
import { Graph, placeModelForCheckpoint, serializeModel, type NodePlacementReport, type ProviderChoice, type Session } from '../onnx';
import type { Checkpoint } from '../sd/checkpoint';
import { CheckpointWeights, createWeightedSession } from '../sd/weights';

/** Checkpoints below this size are given to ORT in memory. */
export const inMemoryLimitBytes = 512 * 2 ** 20;

export interface CheckpointSessionOptions {
  provider: ProviderChoice;
  cacheDir: string;
  intraOpThreads?: number;
  /** Keep MatMul/Conv weights memory-mapped instead of pre-packed copies (less memory, maybe slower). */
  disablePrepacking?: boolean;
  /** Turn ORT's CPU memory arena off (gigabytes less peak memory at full size; see bench/trainStep.ts --lean). */
  disableCpuMemArena?: boolean;
  /** On a GPU provider, after the first run: where ORT placed the nodes (labelled with the model file name). */
  onNodePlacement?: (report: NodePlacementReport) => void;
}

export async function createCheckpointSession(
  checkpoint: Checkpoint,
  modelFileName: string,
  build: (g: Graph, weights: CheckpointWeights) => void,
  options: CheckpointSessionOptions,
): Promise<Session> {
  const single = checkpoint.files.length === 1 ? checkpoint.files[0] : null;
  const small = checkpoint.files.reduce((s, f) => s + statSync(f).size, 0) < inMemoryLimitBytes;
  const placement = !small && single ? placeModelForCheckpoint(single, { modelFileName, cacheDir: options.cacheDir }) : null;
  const g = new Graph(modelFileName.replace(/\.onnx$/, ''));
  const weights = new CheckpointWeights(g, checkpoint, placement ? { locationOf: () => placement.dataLocation } : {});
  build(g, weights);
  const bytes = serializeModel(g, { opset: 21 });
  // Full-size models run without ORT's CPU arena by default: bench/trainStep at SD1.5 256×256 measured
  // 7.1 GiB peak instead of 8.1 GiB at the same step time (9.8 s vs 9.6 s, 2 threads).
  const session = {
    provider: options.provider,
    intraOpThreads: options.intraOpThreads,
    disablePrepacking: options.disablePrepacking,
    disableCpuMemArena: options.disableCpuMemArena ?? !small,
    label: modelFileName,
    onNodePlacement: options.onNodePlacement,
  };
  return placement
    ? createWeightedSession(bytes, weights, { modelPath: placement.modelPath, session })
    : createWeightedSession(bytes, weights, { inMemory: true, session });
}
