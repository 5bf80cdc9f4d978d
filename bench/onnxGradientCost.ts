// What the backward graph costs relative to the forward pass, on a small UNet-like stack in
// float32 (residual GN+SiLU conv blocks and cross-attention to a CLIP-sized context), the shape of
// textual-inversion training: the gradient is wanted for the context only, never for weights.
// Reference measured in the same run: the forward-only model.
//   node --import tsx bench/onnxGradientCost.ts
import { Graph, Value, createSession, grad, serializeModel, summarizeGraph } from '../src/onnx/index';

const channels = 128;
const size = 32;
const contextLength = 77;
const contextWidth = 768;
const blocks = 3;

function randomValues(n: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

function weight(g: Graph, shape: number[], seed: number): Value {
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  return g.constant(randomValues(shape.reduce((a, b) => a * b, 1), 1 / Math.sqrt(fanIn), seed), shape, 'float32');
}

function build(withGradient: 'none' | 'context' | 'context+weights'): Graph {
  const g = new Graph('cost');
  const x = g.input('x', 'float32', [1, channels, size, size]);
  const context = g.input('context', 'float32', [1, contextLength, contextWidth]);
  const ones = g.constant(new Float32Array(channels).fill(1), [channels], 'float32');
  const zeros = g.constant(new Float32Array(channels), [channels], 'float32');
  const weights: Value[] = [];
  const w = (shape: number[], seed: number) => {
    const v = weight(g, shape, seed);
    weights.push(v);
    return v;
  };
  let h = x;
  for (let b = 0; b < blocks; b++) {
    let r = g.silu(g.groupNorm(h, ones, zeros, 32, 1e-5));
    r = g.conv(r, w([channels, channels, 3, 3], 10 * b + 1), undefined, { pads: [1, 1, 1, 1] });
    r = g.silu(g.groupNorm(r, ones, zeros, 32, 1e-5));
    r = g.conv(r, w([channels, channels, 3, 3], 10 * b + 2), undefined, { pads: [1, 1, 1, 1] });
    h = g.add(h, r);
    // Cross-attention: queries from the feature map, keys/values from the context.
    const tokens = g.transpose(g.reshape(h, [1, channels, size * size]), [0, 2, 1]);
    const q = g.matMul(g.layerNorm(tokens, g.constant(new Float32Array(channels).fill(1), [channels], 'float32'), undefined, -1, 1e-5), w([channels, channels], 10 * b + 3));
    const k = g.matMul(context, w([contextWidth, channels], 10 * b + 4));
    const v = g.matMul(context, w([contextWidth, channels], 10 * b + 5));
    const attention = g.softmax(g.mul(g.matMul(q, g.transpose(k, [0, 2, 1])), g.scalar(1 / Math.sqrt(channels), 'float32')), -1);
    const attended = g.matMul(g.matMul(attention, v), w([channels, channels], 10 * b + 6));
    h = g.add(h, g.reshape(g.transpose(attended, [0, 2, 1]), [1, channels, size, size]));
  }
  const loss = g.reduceMean(g.mul(h, h), undefined, false);
  g.output(loss, 'loss');
  if (withGradient !== 'none') {
    const wrt = withGradient === 'context' ? [context] : [context, ...weights];
    grad(g, loss, wrt).forEach((d, i) => g.output(d, `grad${i}`));
  }
  return g;
}

async function timeModel(g: Graph, repeats: number): Promise<number> {
  const s = await createSession(serializeModel(g), { provider: 'cpu' });
  const feeds = {
    x: { dtype: 'float32' as const, shape: [1, channels, size, size], data: randomValues(channels * size * size, 1, 7) },
    context: { dtype: 'float32' as const, shape: [1, contextLength, contextWidth], data: randomValues(contextLength * contextWidth, 1, 8) },
  };
  await s.run(feeds); // warm-up
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t);
  }
  await s.release();
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  const repeats = 7;
  const rows: [string, Graph][] = [
    ['forward only (reference)', build('none')],
    ['forward + d/d context', build('context')],
    ['forward + d/d context and all weights', build('context+weights')],
  ];
  let reference = 0;
  console.log('model                                  | nodes | median run ms | × forward');
  console.log('---------------------------------------|-------|---------------|----------');
  for (const [name, g] of rows) {
    const ms = await timeModel(g, repeats);
    if (!reference) reference = ms;
    console.log(`${name.padEnd(39)}| ${String(summarizeGraph(g).nodeCount).padStart(5)} | ${ms.toFixed(1).padStart(13)} | ${(ms / reference).toFixed(2).padStart(8)}`);
  }
  console.log(`\n${blocks} blocks of [1,${channels},${size},${size}] GN+SiLU+conv3×3 residuals and cross-attention to [1,${contextLength},${contextWidth}]; median of ${repeats} runs, ORT CPU, default threads.`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
