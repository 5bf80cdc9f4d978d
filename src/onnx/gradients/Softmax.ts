// dX = Y · (dY − Σ_axis(dY · Y))
import { OpGradient, intAttribute, outputGradient } from './gradientRule';

export const Softmax: OpGradient = {
  opType: 'Softmax',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const y = ctx.node.outputs[0];
    const axis = intAttribute(ctx.node, 'axis', -1);
    return [g.mul(y, g.sub(dY, g.reduceSum(g.mul(dY, y), [axis], true)))];
  },
};
