// Gradient checks run in ONNX Runtime: a test builds f(inputs), the harness forms the scalar
// loss L = Σ f(x)·R with a fixed random cotangent R, asks grad() for dL/dinputs in the same
// model, and compares against finite differences of L computed by running that model again.
import { DType, Graph, HostTensor, Session, Value, createSession, grad, serializeModel } from '../../src/onnx/index';

export type InputKind = 'normal' | 'positive' | 'spread';

export interface InputSpec {
  shape: number[];
  kind?: InputKind;
}

export interface CheckCase {
  name: string;
  dtype: 'float64' | 'float32';
  inputs: InputSpec[];
  build(g: Graph, inputs: Value[]): Value;
  /** Indices of inputs to differentiate (default all). */
  wrt?: number[];
  seed?: number;
}

/** Deterministic PRNG (mulberry32) so a failing case reproduces. */
export function randomSource(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function fill(n: number, kind: InputKind, rng: ReturnType<typeof randomSource>): number[] {
  return Array.from({ length: n }, () => (kind === 'positive' ? 0.5 + 1.5 * rng.uniform() : kind === 'spread' ? 3 * rng.normal() : rng.normal()));
}

function typed(dtype: DType, values: readonly number[]): Float32Array | Float64Array {
  return dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

export interface PreparedCheck {
  session: Session;
  values: number[][];
  analytic: number[][];
  loss: number;
  lossAt(values: number[][]): Promise<number>;
  graph: Graph;
}

export async function prepare(c: CheckCase): Promise<PreparedCheck> {
  const rng = randomSource(c.seed ?? 1234);
  const g = new Graph(c.name);
  const inputs = c.inputs.map((s, i) => g.input(`in${i}`, c.dtype, s.shape));
  const y = c.build(g, inputs);
  const cotangent = g.constant(fill(y.size, 'normal', rng), y.shape, c.dtype);
  const loss = g.reduceSum(g.mul(y, cotangent), undefined, false);
  const wrt = (c.wrt ?? c.inputs.map((_, i) => i)).map((i) => inputs[i]);
  const grads = grad(g, loss, wrt);
  g.output(loss, 'loss');
  grads.forEach((d, i) => g.output(d, `grad${i}`));
  const session = await createSession(serializeModel(g), { provider: 'cpu', intraOpThreads: 1 });
  const values = c.inputs.map((s) => fill(sizeOf(s.shape), s.kind ?? 'normal', rng));
  const feeds = (vals: number[][]): Record<string, HostTensor> =>
    Object.fromEntries(c.inputs.map((s, i) => [`in${i}`, { dtype: c.dtype, shape: s.shape, data: typed(c.dtype, vals[i]) }]));
  const out = await session.run(feeds(values));
  const lossAt = async (vals: number[][]) => Number((await session.run(feeds(vals), ['loss'])).loss.data[0]);
  return {
    session,
    values,
    analytic: grads.map((_, i) => Array.from(out[`grad${i}`].data as Float64Array)),
    loss: Number(out.loss.data[0]),
    lossAt,
    graph: g,
  };
}

/**
 * float64: every element by central differences, step 1e-6. Truncation error ~h²·|L'''| ≈ 1e-12
 * and rounding ~1e-16·|L|/h ≈ 1e-10·|L|, so 1e-6 relative to (1 + |g|) leaves margin while any
 * wrong rule is off by O(1).
 */
export async function checkFloat64(c: CheckCase): Promise<{ maxError: number; worst: string }> {
  const p = await prepare({ ...c, dtype: 'float64' });
  const wrt = c.wrt ?? c.inputs.map((_, i) => i);
  const h = 1e-6;
  let maxError = 0;
  let worst = '';
  try {
    for (let k = 0; k < wrt.length; k++) {
      const idx = wrt[k];
      for (let e = 0; e < p.values[idx].length; e++) {
        const plus = p.values.map((v) => [...v]);
        const minus = p.values.map((v) => [...v]);
        plus[idx][e] += h;
        minus[idx][e] -= h;
        const fd = ((await p.lossAt(plus)) - (await p.lossAt(minus))) / (2 * h);
        const err = Math.abs(fd - p.analytic[k][e]) / (1 + Math.abs(fd));
        if (err > maxError) {
          maxError = err;
          worst = `input ${idx} element ${e}: analytic ${p.analytic[k][e]}, finite difference ${fd}`;
        }
      }
    }
  } finally {
    await p.session.release();
  }
  return { maxError, worst };
}

/**
 * float32 (ops without float64 CPU kernels): directional derivatives along random unit directions
 * v by central differences with Richardson extrapolation, D = (4·D(h/2) − D(h))/3, h = 0.02.
 * Error budget, relative to ‖g‖ (the largest possible |⟨g, v⟩|):
 *  - truncation is O(h⁴·|L⁽⁵⁾|) ≈ 2e-7 for O(1) inputs;
 *  - rounding: each float32 evaluation of L = Σ y·R carries ≈ 6e-8·√n·|y·R| error, divided by
 *    h/2 = 0.01 and amplified ≈ 5/3 by the extrapolation: ≈ 1e-5·√n·|y·R| / ‖g‖, i.e. ~1e-5..1e-4
 *    for the sizes tested (measured: 0.8e-5..1.9e-5 for Erf, Gelu and Conv).
 * Tests therefore use 5e-4. A wrong rule shows up as |⟨Δg, v⟩| ≈ ‖Δg‖/√n, far above that for any
 * real mistake (a 1% error in Sigmoid's rule gives 7e-3 in float64, a wrong pad in Conv fails shapes);
 * the adjoint test below catches 0.1% errors in the linear ops.
 */
export async function checkDirectional(c: CheckCase, directions = 3): Promise<{ maxError: number; worst: string }> {
  const p = await prepare(c);
  const wrt = c.wrt ?? c.inputs.map((_, i) => i);
  const rng = randomSource((c.seed ?? 1234) + 99);
  let maxError = 0;
  let worst = '';
  try {
    for (let d = 0; d < directions; d++) {
      const v = wrt.map((i) => fill(p.values[i].length, 'normal', rng));
      const norm = Math.sqrt(v.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0));
      const unit = v.map((a) => a.map((x) => x / norm));
      const at = async (t: number) => p.lossAt(p.values.map((vals, i) => {
        const k = wrt.indexOf(i);
        return k < 0 ? vals : vals.map((x, e) => x + t * unit[k][e]);
      }));
      const h = 0.02;
      const central = async (step: number) => ((await at(step)) - (await at(-step))) / (2 * step);
      const fd = (4 * (await central(h / 2)) - (await central(h))) / 3;
      const analytic = unit.reduce((s, a, k) => s + a.reduce((t, x, e) => t + x * p.analytic[k][e], 0), 0);
      const gradNorm = Math.sqrt(p.analytic.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0));
      const err = Math.abs(fd - analytic) / (gradNorm + 1e-3 * Math.abs(p.loss) + 1e-6);
      if (err > maxError) {
        maxError = err;
        worst = `direction ${d}: analytic ${analytic}, finite difference ${fd}, ‖g‖ ${gradNorm}`;
      }
    }
  } finally {
    await p.session.release();
  }
  return { maxError, worst };
}

/**
 * Dot-product (adjoint) test for ops linear in the checked inputs: with L = ⟨f(x), R⟩ and f linear
 * in x, L = ⟨x, dL/dx⟩ exactly; for f bilinear in (x, w) also L = ⟨w, dL/dw⟩. Both sides are float32
 * sums of products of O(1) numbers, so their relative difference is ≈ √n·6e-8; 1e-5 is the bound.
 */
export async function checkAdjoint(c: CheckCase, linearIn: number[]): Promise<{ loss: number; dots: number[] }> {
  const p = await prepare(c);
  await p.session.release();
  const wrt = c.wrt ?? c.inputs.map((_, i) => i);
  const dots = linearIn.map((i) => {
    const k = wrt.indexOf(i);
    return p.values[i].reduce((s, x, e) => s + x * p.analytic[k][e], 0);
  });
  return { loss: p.loss, dots };
}
