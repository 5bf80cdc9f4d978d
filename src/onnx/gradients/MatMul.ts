// dA = dY · Bᵀ, dB = Aᵀ · dY (batch broadcasting is undone by the driver)
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
    return [
      ctx.needs[0] ? g.matMul(dY, transposeLastTwo(g, b)) : undefined,
      ctx.needs[1] ? g.matMul(transposeLastTwo(g, a), dY) : undefined,
    ];
  },
};
