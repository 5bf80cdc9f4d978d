// dA = dY · Bᵀ, dB = Aᵀ · dY (batch broadcasting is undone by the driver)
// When B is a matrix (a weight), both are written as one 2-D Gemm over the flattened batch: Gemm
// reads B transposed in place, where Transpose(B) would be constant-folded by ORT into a second
// copy of every weight, and dB needs no batch reduction afterwards.
import { Graph, Value } from '../graph';
import { OpGradient, outputGradient } from './gradientRule';

export function transposeLastTwo(g: Graph, x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return g.transpose(x, perm);
}

export const MatMul: OpGradient = {
  opType: 'MatMul',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const [a, b] = [ctx.node.inputs[0]!, ctx.node.inputs[1]!];
    if (b.rank === 2 && dY.rank === a.rank) {
      const [k, n] = b.shape;
      const rows = g.reshape(dY, [-1, n]);
      return [
        ctx.needs[0] ? g.reshape(g.gemm(rows, b, undefined, { transB: true }), [...dY.shape.slice(0, -1), k]) : undefined,
        ctx.needs[1] ? g.gemm(g.reshape(a, [-1, k]), rows, undefined, { transA: true }) : undefined,
      ];
    }
    return [
      ctx.needs[0] ? g.matMul(dY, transposeLastTwo(g, b)) : undefined,
      ctx.needs[1] ? g.matMul(transposeLastTwo(g, a), dY) : undefined,
    ];
  },
};
