// How much memory a training step (and its previews) will need, told before anything is built,
// so that an impossible size is refused in words instead of growing until the system kills the
// process. A deliberately simple estimate from the architecture and the run's sizes: the
// weights as the graphs hold them, the UNet's activations kept for the backward pass, and the
// attention maps, which grow with the square of the latent area. The ONNX memory plan will
// replace `estimateTrainingMemory` (this file's one estimate); the check around it stays.
import { totalmem } from 'node:os';
import type { Sd1Architecture } from '../sd/architecture';

/** The largest training side accepted at all: SD1 was trained at 512; 2048 is already 16× its area. */
export const maxTrainingSide = 2048;

export interface TrainingMemoryEstimate {
  bytes: number;
  /** Where the bytes go, for the message. */
  parts: { weights: number; activations: number; attention: number };
}

export interface TrainingSizes {
  width: number;
  height: number;
  batchSize: number;
  /** Bytes of the model's weights as float32 (what the graphs compute in). */
  weightBytes: number;
}

const float = 4;
/** Activation tensors per UNet level and resolution kept for the backward pass (measured order of magnitude). */
const activationsPerLevel = 24;
/** Attention score tensors per attention layer alive at once (the softmax kept for backward, a transient gradient). */
const attentionMapsPerLayer = 1.5;
/** Full-resolution tensors of the VAE decoder alive at once while a preview is decoded. */
const decoderTensors = 10;

export function estimateTrainingMemory(architecture: Sd1Architecture, sizes: TrainingSizes): TrainingMemoryEstimate {
  const { unet, vae } = architecture;
  const latentArea = (sizes.width / vae.downscale) * (sizes.height / vae.downscale);
  let activations = 0;
  let attention = 0;
  unet.levels.forEach((level, depth) => {
    const area = latentArea / 4 ** depth;
    // down and up paths: res blocks of this level on both sides
    activations += activationsPerLevel * (unet.numResBlocks * 2 + 1) * level.channels * area * float * sizes.batchSize;
    if (level.attention) {
      const layers = (unet.numResBlocks * 2 + 1) * Math.max(1, level.transformerDepth);
      const heads = unet.headChannels !== undefined ? level.channels / unet.headChannels : unet.heads;
      attention += attentionMapsPerLayer * layers * heads * area * area * float * sizes.batchSize;
    }
  });
  // previews decode at full size, with the VAE's first-level width
  activations += decoderTensors * vae.ch * sizes.width * sizes.height * float;
  const weights = sizes.weightBytes;
  return { bytes: weights + activations + attention, parts: { weights, activations, attention } };
}

/** The refusal for a run that will not fit in this machine's memory, or null. */
export function trainingMemoryProblem(estimate: TrainingMemoryEstimate, sizes: TrainingSizes, available = totalmem()): string | null {
  if (estimate.bytes <= available) return null;
  const gb = (n: number) => `${(n / 2 ** 30).toFixed(n < 2 ** 30 ? 2 : 1)} GB`;
  return (
    `training at ${sizes.width}×${sizes.height} with batch size ${sizes.batchSize} needs about ${gb(estimate.bytes)} ` +
    `(weights ${gb(estimate.parts.weights)}, activations ${gb(estimate.parts.activations)}, attention ${gb(estimate.parts.attention)}), ` +
    `more than this machine's ${gb(available)} of memory; train at 512×512 (SD1's own size) or lower --width/--height or --batch-size`
  );
}
