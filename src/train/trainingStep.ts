// What the loop needs from the compute side: one textual-inversion loss and its gradient with
// respect to the embedding vectors for a batch. The ONNX implementation (tiLossSession.ts)
// runs the SD graphs; the loop does not care how.
export interface TrainingBatch {
  /** Rows of 77 token ids. */
  inputIds: number[][];
  /** Per row, [position, embedding row] pairs: where the embedding vectors go. */
  slots: [number, number][][];
  /** Per row, 77 emphasis weights (all 1 when emphasis is off). */
  weights: number[][];
  /** [rows, 4, h, w] latents already scaled by 0.18215. */
  latents: Float32Array;
  /** Same shape: the noise added. */
  noise: Float32Array;
  /** One timestep per row, 0..999. */
  timesteps: number[];
}

export interface TrainingStepResult {
  /** Mean squared error over the batch. */
  loss: number;
  /** d loss / d vectors, [vectors, width]. */
  gradient: Float32Array;
}

export interface TextualInversionStep {
  /** Latent height and width the step was built for (image size / 8). */
  readonly latentHeight: number;
  readonly latentWidth: number;
  readonly batchSize: number;
  run(batch: TrainingBatch, vectors: Float32Array): Promise<TrainingStepResult>;
  release(): Promise<void>;
}
