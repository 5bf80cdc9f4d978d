// Unary functions whose derivative is written with the forward output where possible
// (reusing Y instead of recomputing).
import { OpGradient, outputGradient } from './gradientRule';

// dX = dY / (2 · Y)
export const Sqrt: OpGradient = {
  opType: 'Sqrt',
  vjp: (ctx) => {
    const g = ctx.graph;
    const y = ctx.node.outputs[0];
    return [g.div(outputGradient(ctx), g.mul(y, g.scalar(2, y.dtype)))];
  },
};

// dX = dY · Y
export const Exp: OpGradient = {
  opType: 'Exp',
  vjp: (ctx) => [ctx.graph.mul(outputGradient(ctx), ctx.node.outputs[0])],
};

// dX = dY / X
export const Log: OpGradient = {
  opType: 'Log',
  vjp: (ctx) => [ctx.graph.div(outputGradient(ctx), ctx.node.inputs[0]!)],
};

// dX = dY · 2/√π · exp(−X²)
export const Erf: OpGradient = {
  opType: 'Erf',
  vjp: (ctx) => {
    const g = ctx.graph;
    const x = ctx.node.inputs[0]!;
    const gauss = g.exp(g.neg(g.mul(x, x)));
    return [g.mul(outputGradient(ctx), g.mul(gauss, g.scalar(2 / Math.sqrt(Math.PI), x.dtype)))];
  },
};

// dX = dY · (1 − Y²)
export const Tanh: OpGradient = {
  opType: 'Tanh',
  vjp: (ctx) => {
    const g = ctx.graph;
    const y = ctx.node.outputs[0];
    return [g.mul(outputGradient(ctx), g.sub(g.scalar(1, y.dtype), g.mul(y, y)))];
  },
};

// dX = dY · Y · (1 − Y)
export const Sigmoid: OpGradient = {
  opType: 'Sigmoid',
  vjp: (ctx) => {
    const g = ctx.graph;
    const y = ctx.node.outputs[0];
    return [g.mul(outputGradient(ctx), g.mul(y, g.sub(g.scalar(1, y.dtype), y)))];
  },
};

// dX = dY · cos X
export const Sin: OpGradient = {
  opType: 'Sin',
  vjp: (ctx) => [ctx.graph.mul(outputGradient(ctx), ctx.graph.cos(ctx.node.inputs[0]!))],
};

// dX = −dY · sin X
export const Cos: OpGradient = {
  opType: 'Cos',
  vjp: (ctx) => [ctx.graph.neg(ctx.graph.mul(outputGradient(ctx), ctx.graph.sin(ctx.node.inputs[0]!)))],
};

// dX = dY · (Φ(X) + X · φ(X)), Φ = ½(1 + erf(X/√2)), φ = exp(−X²/2)/√(2π)   (exact GELU)
export const Gelu: OpGradient = {
  opType: 'Gelu',
  vjp: (ctx) => {
    const g = ctx.graph;
    const x = ctx.node.inputs[0]!;
    const approximate = ctx.node.attributes.approximate;
    if (approximate && approximate.type === 'string' && approximate.value !== 'none') {
      throw new Error(`Gelu ${ctx.node.name}: gradient only for approximate='none' (the exact form SD uses)`);
    }
    const t = x.dtype;
    const cdf = g.mul(g.add(g.erf(g.mul(x, g.scalar(Math.SQRT1_2, t))), g.scalar(1, t)), g.scalar(0.5, t));
    const pdf = g.mul(g.exp(g.mul(g.mul(x, x), g.scalar(-0.5, t))), g.scalar(1 / Math.sqrt(2 * Math.PI), t));
    return [g.mul(outputGradient(ctx), g.add(cdf, g.mul(x, pdf)))];
  },
};

// dX = dY
export const Identity: OpGradient = {
  opType: 'Identity',
  vjp: (ctx) => [outputGradient(ctx)],
};

// dA = Where(C, dY, 0), dB = Where(C, 0, dY); the condition has no gradient
export const Where: OpGradient = {
  opType: 'Where',
  noGradientInputs: [0],
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const c = ctx.node.inputs[0]!;
    const zero = g.scalar(0, dY.dtype);
    return [undefined, ctx.needs[1] ? g.where(c, dY, zero) : undefined, ctx.needs[2] ? g.where(c, zero, dY) : undefined];
  },
};

// dX = Cast(dY, X.dtype)
export const Cast: OpGradient = {
  opType: 'Cast',
  vjp: (ctx) => [ctx.graph.cast(outputGradient(ctx), ctx.node.inputs[0]!.dtype)],
};
