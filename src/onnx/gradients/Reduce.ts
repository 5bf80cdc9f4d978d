// ReduceSum: dX = expand(dY with kept dims); ReduceMean: dX = expand(dY) / n
import { Graph, Node, Value } from '../graph';
import { GradientContext, OpGradient, constantInts, intAttribute, outputGradient } from './gradientRule';

function reducedAxes(ctx: GradientContext): number[] {
  const x = ctx.node.inputs[0]!;
  const given = ctx.node.inputs[1] ? constantInts(ctx, 1) : [];
  if (given === undefined) throw new Error(`${ctx.node.opType} ${ctx.node.name}: axes must be a constant for its gradient`);
  if (given.length === 0) {
    if (intAttribute(ctx.node, 'noop_with_empty_axes', 0) === 1) return [];
    return x.shape.map((_, i) => i);
  }
  return given.map((a) => (a < 0 ? a + x.rank : a));
}

function broadcastBack(g: Graph, node: Node, dY: Value, axes: number[]): Value {
  const x = node.inputs[0]!;
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return g.expand(g.reshape(dY, keptShape), x.shape);
}

export const ReduceSum: OpGradient = {
  opType: 'ReduceSum',
  noGradientInputs: [1],
  vjp: (ctx) => [broadcastBack(ctx.graph, ctx.node, outputGradient(ctx), reducedAxes(ctx))],
};

export const ReduceMean: OpGradient = {
  opType: 'ReduceMean',
  noGradientInputs: [1],
  vjp: (ctx) => {
    const g = ctx.graph;
    const x = ctx.node.inputs[0]!;
    const axes = reducedAxes(ctx);
    const count = axes.reduce((n, a) => n * x.shape[a], 1);
    const dY = outputGradient(ctx);
    // Scale before expanding: the small tensor is cheaper to multiply.
    return [broadcastBack(g, ctx.node, g.mul(dY, g.scalar(1 / count, dY.dtype)), axes)];
  },
};
