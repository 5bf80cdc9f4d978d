// LayerNormalization and GroupNormalization, with x̂ = (x − μ)·r, r = 1/√(var + ε), y = x̂·γ + β:
//   dβ = Σ dY,  dγ = Σ dY·x̂  (over the non-normalised dims)
//   dx = r · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)),  dx̂ = dY·γ  (means over each normalised group)
import { Graph, Value } from '../graph';
import { OpGradient, floatAttribute, intAttribute, outputGradient } from './gradientRule';

/** x̂ and r for a tensor whose last axis is the normalised group, recomputed from x. */
function standardise(g: Graph, x: Value, epsilon: number): { xHat: Value; r: Value } {
  const last = x.rank - 1;
  const centred = g.sub(x, g.reduceMean(x, [last], true));
  const variance = g.reduceMean(g.mul(centred, centred), [last], true);
  // ORT reads ε as a float attribute; use the same float32-rounded value.
  const r = g.div(g.scalar(1, x.dtype), g.sqrt(g.add(variance, g.scalar(Math.fround(epsilon), x.dtype))));
  return { xHat: g.mul(centred, r), r };
}

/** dx over the last axis given dx̂, x̂ and r. */
function standardiseBackward(g: Graph, dXHat: Value, xHat: Value, r: Value): Value {
  const last = xHat.rank - 1;
  const meanD = g.reduceMean(dXHat, [last], true);
  const meanDX = g.reduceMean(g.mul(dXHat, xHat), [last], true);
  return g.mul(r, g.sub(g.sub(dXHat, meanD), g.mul(xHat, meanDX)));
}

function flatGroups(g: Graph, x: Value, leading: number[]): Value {
  return g.reshape(x, [...leading, -1]);
}

export const LayerNormalization: OpGradient = {
  opType: 'LayerNormalization',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const [x, scale, bias] = [ctx.node.inputs[0]!, ctx.node.inputs[1]!, ctx.node.inputs[2]];
    const axis = intAttribute(ctx.node, 'axis', -1);
    const a = axis < 0 ? axis + x.rank : axis;
    const leading = x.shape.slice(0, a);
    const [, savedMean, savedInvStdDev] = ctx.node.outputs;
    let xHatFlat: Value;
    let r: Value;
    if (savedMean && savedInvStdDev) {
      // Reuse the forward pass's statistics instead of recomputing them.
      const stat = (v: Value) => g.reshape(g.cast(v, x.dtype), [...leading, 1]);
      r = stat(savedInvStdDev);
      xHatFlat = g.mul(g.sub(flatGroups(g, x, leading), stat(savedMean)), r);
    } else {
      ({ xHat: xHatFlat, r } = standardise(g, flatGroups(g, x, leading), floatAttribute(ctx.node, 'epsilon', 1e-5)));
    }
    const xHat = g.reshape(xHatFlat, x.shape);
    // The leading dims of dγ, dβ are summed by the driver's unbroadcast.
    const dScale = ctx.needs[1] ? g.mul(dY, xHat) : undefined;
    const dBias = bias && ctx.needs[2] ? dY : undefined;
    let dX;
    if (ctx.needs[0]) {
      const dXHat = flatGroups(g, g.mul(dY, scale), leading);
      dX = g.reshape(standardiseBackward(g, dXHat, xHatFlat, r), x.shape);
    }
    return [dX, dScale, dBias];
  },
};

export const GroupNormalization: OpGradient = {
  opType: 'GroupNormalization',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const [x, scale] = [ctx.node.inputs[0]!, ctx.node.inputs[1]!];
    const groups = intAttribute(ctx.node, 'num_groups', 1);
    const n = x.shape[0];
    const { xHat: xHatFlat, r } = standardise(g, g.reshape(x, [n, groups, -1]), floatAttribute(ctx.node, 'epsilon', 1e-5));
    const xHat = g.reshape(xHatFlat, x.shape);
    const otherAxes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const dScale = ctx.needs[1] ? g.reduceSum(g.mul(dY, xHat), otherAxes, false) : undefined;
    const dBias = ctx.needs[2] ? g.reduceSum(dY, otherAxes, false) : undefined;
    let dX;
    if (ctx.needs[0]) {
      const perChannel = g.reshape(scale, [x.shape[1], ...new Array<number>(x.rank - 2).fill(1)]);
      const dXHat = g.reshape(g.mul(dY, perChannel), [n, groups, -1]);
      dX = g.reshape(standardiseBackward(g, dXHat, xHatFlat, r), x.shape);
    }
    return [dX, dScale, dBias];
  },
};

