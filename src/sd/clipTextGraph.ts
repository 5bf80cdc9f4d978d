// The CLIP text encoder of SD1 (HF CLIPTextModel / OpenAI CLIP text tower): token + position
// embeddings, pre-LN transformer layers with causal self-attention and QuickGELU MLPs, final
// LayerNorm. CLIP skip N (A1111) = output of layer L-N+1 with the final LayerNorm applied.
// Textual inversion replaces token embeddings at placeholder positions before positions are added.
import type { Graph, Value } from '../onnx';
import type { TextEncoderArchitecture } from './architecture';
import { linear, multiHeadAttention } from './transformerLayers';
import type { CheckpointWeights } from './weights';

const layerNormEps = 1e-5;

export interface EmbeddingInjection {
  /** The trained vectors [n, width]. */
  emb: Value;
  /**
   * [B, T, n] float: 1 where row b, position p takes emb[i]; all zero elsewhere. Built on the
   * host (see injectionMatrix) because placeholder positions change with every prompt.
   */
  placement: Value;
}

/** Token embeddings [B,T,width] of `inputIds` [B,T] int64, with injected vectors if given. */
export function clipTokenEmbeddings(
  g: Graph,
  weights: CheckpointWeights,
  arch: TextEncoderArchitecture,
  inputIds: Value,
  injection?: EmbeddingInjection,
): Value {
  const table = weights.get(`${arch.prefix}embeddings.token_embedding.weight`);
  let tokens = g.gather(table, inputIds, 0);
  if (injection) {
    // tokens·(1 - Σ placement) + placement·emb: exact (0/1 weights), and its gradient to emb is one MatMul.
    const keep = g.sub(g.scalar(1, 'float32'), g.reduceSum(injection.placement, [2], true));
    tokens = g.add(g.mul(tokens, keep), g.matMul(injection.placement, injection.emb));
  }
  return tokens;
}

/**
 * Hidden states for each requested CLIP skip (1 = last layer, 2 = penultimate, …), each with
 * the final LayerNorm applied. Only the layers the deepest request needs are built.
 */
export function clipTextHidden(
  g: Graph,
  weights: CheckpointWeights,
  arch: TextEncoderArchitecture,
  tokenEmbeddings: Value,
  clipSkips: readonly number[],
): Value[] {
  const length = tokenEmbeddings.shape[1];
  if (length > arch.positions) throw new Error(`text encoder: ${length} tokens, but the model has ${arch.positions} positions.`);
  for (const skip of clipSkips) {
    if (!Number.isInteger(skip) || skip < 1 || skip > arch.layers) {
      throw new Error(`CLIP skip ${skip} is out of range: this text encoder has ${arch.layers} layers (use 1..${arch.layers}; anime models use 2).`);
    }
  }
  const p = arch.prefix;
  let positions = weights.get(`${p}embeddings.position_embedding.weight`);
  if (length < arch.positions) positions = g.slice(positions, [0], [length], [0]);
  let x = g.add(tokenEmbeddings, positions);

  const lowest = -3.4028234663852886e38; // float32 lowest, as HF's causal mask uses
  const mask = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) mask[i * length + j] = lowest;
  const causalMask = g.constant(mask, [length, length], 'float32', 'causal_mask');

  const layersNeeded = arch.layers - Math.min(...clipSkips) + 1;
  const outputsAfter = new Map<number, Value>();
  for (let layer = 0; layer < layersNeeded; layer++) {
    const l = `${p}encoder.layers.${layer}.`;
    const h = g.layerNorm(x, weights.get(`${l}layer_norm1.weight`), weights.get(`${l}layer_norm1.bias`), -1, layerNormEps);
    const q = linear(g, weights, h, `${l}self_attn.q_proj`);
    const k = linear(g, weights, h, `${l}self_attn.k_proj`);
    const v = linear(g, weights, h, `${l}self_attn.v_proj`);
    x = g.add(x, linear(g, weights, multiHeadAttention(g, q, k, v, arch.heads, causalMask), `${l}self_attn.out_proj`));
    const h2 = g.layerNorm(x, weights.get(`${l}layer_norm2.weight`), weights.get(`${l}layer_norm2.bias`), -1, layerNormEps);
    x = g.add(x, linear(g, weights, g.quickGelu(linear(g, weights, h2, `${l}mlp.fc1`)), `${l}mlp.fc2`));
    outputsAfter.set(layer + 1, x);
  }
  const finalScale = weights.get(`${p}final_layer_norm.weight`);
  const finalBias = weights.get(`${p}final_layer_norm.bias`);
  return clipSkips.map((skip) => g.layerNorm(outputsAfter.get(arch.layers - skip + 1)!, finalScale, finalBias, -1, layerNormEps));
}

/** [B, T, n] placement matrix: row b puts emb[i] at position positions[b][i]. */
export function injectionMatrix(positionsPerRow: readonly (readonly number[])[], vectors: number, length: number): Float32Array {
  const out = new Float32Array(positionsPerRow.length * length * vectors);
  positionsPerRow.forEach((positions, row) => {
    if (positions.length > vectors) throw new Error(`row ${row}: ${positions.length} placeholder positions but the embedding has ${vectors} vectors.`);
    positions.forEach((position, i) => {
      if (!Number.isInteger(position) || position < 0 || position >= length) {
        throw new Error(`row ${row}: placeholder position ${position} is outside 0..${length - 1}.`);
      }
      out[(row * length + position) * vectors + i] = 1;
    });
  });
  return out;
}
