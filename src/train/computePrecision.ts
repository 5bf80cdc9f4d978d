// The one place that decides whether the training step computes in float32 or float16, and says
// why. The rule (issue 15, item 4): on a GPU provider (webgpu, cuda, dml) whose adapter computes
// in float16 — for WebGPU, Dawn's `shader-f16` — the step runs the fp16 compute graph (fp16
// weights and activations, float32 loss and embedding, as A1111 trains); float32 everywhere else,
// with the reason.
//
// NOTE: the fp16 compute graph does not exist yet: it is built on top of the memory work of
// issue 14 (attention and recompute in src/sd and src/onnx). Until then `fp16ComputeGraphBuilt`
// is false and every decision is float32, whatever the adapter can do; the adapter's answer is
// still probed and reported, so the switch is one constant and the graph builder's dtype option.
import type { ExecutionProvider } from '../onnx';
import { adapterRunsFloat16, type Float16Support } from '../onnx/gpuAdapter';

/** Flip to true when src/sd builds the fp16 compute graph of the TI step (and the trainer builds it for 'float16'). */
export const fp16ComputeGraphBuilt = false;

export type ComputePrecision = 'float32' | 'float16';

export interface PrecisionDecision {
  precision: ComputePrecision;
  /** One sentence for the run log and the monitor. */
  reason: string;
  /** The adapter's float16 answer, where one was asked (GPU providers only). */
  adapterFloat16?: Float16Support;
}

export interface PrecisionOptions {
  /** Default: fp16ComputeGraphBuilt. Tests and the GPU check pass it explicitly. */
  fp16GraphBuilt?: boolean;
  deviceId?: number;
  /** Default: the real probe (adapterRunsFloat16). */
  float16Support?: (provider: 'webgpu' | 'dml' | 'cuda') => Promise<Float16Support>;
}

export async function chooseComputePrecision(provider: ExecutionProvider, options: PrecisionOptions = {}): Promise<PrecisionDecision> {
  if (provider === 'cpu') return { precision: 'float32', reason: 'the CPU provider computes in float32 (its float16 kernels are few and slower)' };
  const probe = options.float16Support ?? ((p) => adapterRunsFloat16(p, options.deviceId));
  const adapterFloat16 = await probe(provider);
  const built = options.fp16GraphBuilt ?? fp16ComputeGraphBuilt;
  if (!adapterFloat16.supported) return { precision: 'float32', reason: `float32 on ${provider}: ${adapterFloat16.detail}`, adapterFloat16 };
  if (!built) {
    return {
      precision: 'float32',
      reason: `float32 on ${provider}: the adapter computes in float16 (${adapterFloat16.detail}), but the fp16 compute graph is not built yet (fp16 weights are cast to float32)`,
      adapterFloat16,
    };
  }
  return { precision: 'float16', reason: `float16 on ${provider}: ${adapterFloat16.detail}; loss and embedding stay float32`, adapterFloat16 };
}
