// Y = α·op(A)·op(B) + β·C:
//   d op(A) = α · dY · op(B)ᵀ,  d op(B) = α · op(A)ᵀ · dY,  dC = β · dY
//   and dA = (d op(A))ᵀ when transA (likewise B), written as one Gemm each.
import { OpGradient, floatAttribute, intAttribute, outputGradient } from './gradientRule';

export const Gemm: OpGradient = {
  opType: 'Gemm',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const [a, b, c] = ctx.node.inputs;
    const transA = intAttribute(ctx.node, 'transA', 0) === 1;
    const transB = intAttribute(ctx.node, 'transB', 0) === 1;
    const alpha = floatAttribute(ctx.node, 'alpha', 1);
    const beta = floatAttribute(ctx.node, 'beta', 1);
    let dA, dB, dC;
    if (ctx.needs[0]) {
      dA = transA
        ? g.gemm(b!, dY, undefined, { transA: transB, transB: true, alpha })
        : g.gemm(dY, b!, undefined, { transB: !transB, alpha });
    }
    if (ctx.needs[1]) {
      dB = transB
        ? g.gemm(dY, a!, undefined, { transA: true, transB: transA, alpha })
        : g.gemm(a!, dY, undefined, { transA: !transA, alpha });
    }
    if (ctx.needs[2] && c) dC = beta === 1 ? dY : g.mul(dY, g.scalar(beta, dY.dtype));
    return [dA, dB, dC];
  },
};
