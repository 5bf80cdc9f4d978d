// Add, Sub, Mul, Div, Pow, Neg. Broadcasting is undone by the driver.
import { OpGradient, outputGradient } from './gradientRule';

// dA = dY, dB = dY
export const Add: OpGradient = {
  opType: 'Add',
  vjp: (ctx) => {
    const dY = outputGradient(ctx);
    return [dY, dY];
  },
};

// dA = dY, dB = −dY
export const Sub: OpGradient = {
  opType: 'Sub',
  vjp: (ctx) => {
    const dY = outputGradient(ctx);
    return [dY, ctx.needs[1] ? ctx.graph.neg(dY) : undefined];
  },
};

// dA = dY · B, dB = dY · A
export const Mul: OpGradient = {
  opType: 'Mul',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const [a, b] = [ctx.node.inputs[0]!, ctx.node.inputs[1]!];
    return [ctx.needs[0] ? g.mul(dY, b) : undefined, ctx.needs[1] ? g.mul(dY, a) : undefined];
  },
};

// dA = dY / B, dB = −dY · Y / B
export const Div: OpGradient = {
  opType: 'Div',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const b = ctx.node.inputs[1]!;
    const y = ctx.node.outputs[0];
    const dA = g.div(dY, b);
    return [ctx.needs[0] ? dA : undefined, ctx.needs[1] ? g.neg(g.mul(dA, y)) : undefined];
  },
};

// dA = dY · B · A^(B−1), dB = dY · Y · ln A (A > 0 where the exponent is trained)
export const Pow: OpGradient = {
  opType: 'Pow',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const [a, b] = [ctx.node.inputs[0]!, ctx.node.inputs[1]!];
    const y = ctx.node.outputs[0];
    let dA;
    if (ctx.needs[0]) {
      const exponent = g.constantNumbers(b);
      // A constant exponent 2 (variance, MSE) needs no Pow in the backward graph.
      if (exponent && exponent.length === 1 && exponent[0] === 2) dA = g.mul(dY, g.mul(a, g.scalar(2, a.dtype)));
      else dA = g.mul(dY, g.mul(b, g.pow(a, g.sub(b, g.scalar(1, b.dtype)))));
    }
    const dB = ctx.needs[1] ? g.mul(dY, g.mul(y, g.log(a))) : undefined;
    return [dA, dB];
  },
};

// dX = −dY
export const Neg: OpGradient = {
  opType: 'Neg',
  vjp: (ctx) => [ctx.graph.neg(outputGradient(ctx))],
};
