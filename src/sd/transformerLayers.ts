// Building blocks shared by the CLIP text encoder and the UNet's spatial transformers:
// torch-style Linear and multi-head scaled dot-product attention.
import type { Graph, Value } from '../onnx';
import type { CheckpointWeights } from './weights';

/** torch.nn.Linear on the last axis: x · Wᵀ + b, with W stored [out, in] as torch does. */
export function linear(g: Graph, weights: CheckpointWeights, x: Value, prefix: string, bias = true): Value {
  const w = weights.get(`${prefix}.weight`);
  // Gemm reads W transposed in place; MatMul(x, Transpose(W)) would make ORT constant-fold a
  // second, transposed copy of every weight (gigabytes at SD1.5 size). Its gradient rule also
  // stays on Gemm with W untransposed.
  const rows = g.reshape(x, [-1, x.shape[x.rank - 1]]);
  const y = g.gemm(rows, w, bias ? weights.get(`${prefix}.bias`) : undefined, { transB: true });
  return g.reshape(y, [...x.shape.slice(0, -1), w.shape[0]]);
}

/**
 * softmax(q·kᵀ·scale + mask)·v per head. q [B,Tq,C], k/v [B,Tk,C] → [B,Tq,C]; heads split C.
 * `additiveMask` [Tq,Tk] (0 or a very negative number) is added to the scores.
 */
export function multiHeadAttention(g: Graph, q: Value, k: Value, v: Value, heads: number, additiveMask?: Value): Value {
  const [batch, tq, channels] = q.shape;
  const tk = k.shape[1];
  const headWidth = channels / heads;
  const split = (x: Value, t: number) => g.transpose(g.reshape(x, [batch, t, heads, headWidth]), [0, 2, 1, 3]);
  const qh = split(q, tq);
  const kt = g.transpose(g.reshape(k, [batch, tk, heads, headWidth]), [0, 2, 3, 1]);
  const vh = split(v, tk);
  let scores = g.mul(g.matMul(qh, kt), g.scalar(1 / Math.sqrt(headWidth), q.dtype));
  if (additiveMask) scores = g.add(scores, additiveMask);
  const attended = g.matMul(g.softmax(scores, -1), vh);
  return g.reshape(g.transpose(attended, [0, 2, 1, 3]), [batch, tq, channels]);
}
