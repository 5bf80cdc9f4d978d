// Conv: dX = ConvTranspose(dY, W) with the same strides/pads/dilations (output padding restores
// the floor-rounded size); dW (group 1) = Conv(Xᵀ, dYᵀ) with strides and dilations swapped, cropped
// to the kernel; dB = Σ dY over all but the channel axis.
// ConvTranspose: dX = Conv(dY, W); dW (group 1) = Conv(dYᵀ, Xᵀ) with strides and dilations swapped.
import { Graph, Node, Value } from '../graph';
import { OpGradient, intAttribute, intsAttribute, outputGradient } from './gradientRule';

function convSettings(node: Node, spatial: number) {
  return {
    strides: intsAttribute(node, 'strides', new Array(spatial).fill(1)),
    pads: intsAttribute(node, 'pads', new Array(2 * spatial).fill(0)),
    dilations: intsAttribute(node, 'dilations', new Array(spatial).fill(1)),
    group: intAttribute(node, 'group', 1),
  };
}

function swapBatchAndChannels(g: Graph, x: Value): Value {
  return g.transpose(x, [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)]);
}

/** Correlates `input` with `kernel` (both batch/channel-swapped) and crops to `kernelShape`. */
function weightCorrelation(g: Graph, input: Value, kernel: Value, kernelShape: readonly number[], s: ReturnType<typeof convSettings>): Value {
  const spatial = kernelShape.length;
  const full = g.conv(swapBatchAndChannels(g, input), swapBatchAndChannels(g, kernel), undefined, {
    strides: s.dilations,
    dilations: s.strides,
    pads: s.pads,
  });
  const axes = kernelShape.map((_, i) => i + 2);
  const cropped = full.shape.slice(2).every((d, i) => d === kernelShape[i]) ? full : g.slice(full, new Array(spatial).fill(0), [...kernelShape], axes);
  return cropped;
}

function biasGradient(g: Graph, dY: Value): Value {
  return g.reduceSum(dY, dY.shape.map((_, i) => i).filter((i) => i !== 1), false);
}

function groupOneOnly(node: Node, group: number): void {
  if (group !== 1) {
    throw new Error(`${node.opType} ${node.name}: the weight gradient is implemented for group = 1 only (got ${group}); SD1 has no grouped convolutions — ask only for input gradients here`);
  }
}

export const Conv: OpGradient = {
  opType: 'Conv',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const [x, w] = [ctx.node.inputs[0]!, ctx.node.inputs[1]!];
    const spatial = x.rank - 2;
    const s = convSettings(ctx.node, spatial);
    let dX, dW, dB;
    if (ctx.needs[0]) {
      const outputPadding = x.shape.slice(2).map((d, i) => {
        const produced = s.strides[i] * (dY.shape[i + 2] - 1) + (w.shape[i + 2] - 1) * s.dilations[i] + 1 - s.pads[i] - s.pads[i + spatial];
        return d - produced;
      });
      dX = g.convTranspose(dY, w, undefined, { ...s, outputPadding });
    }
    if (ctx.needs[1]) {
      groupOneOnly(ctx.node, s.group);
      // [C, M, k…] -> [M, C, k…]
      dW = swapBatchAndChannels(g, weightCorrelation(g, x, dY, w.shape.slice(2), s));
    }
    if (ctx.needs[2]) dB = biasGradient(g, dY);
    return [dX, dW, dB];
  },
};

export const ConvTranspose: OpGradient = {
  opType: 'ConvTranspose',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const [x, w] = [ctx.node.inputs[0]!, ctx.node.inputs[1]!];
    const s = convSettings(ctx.node, x.rank - 2);
    let dX, dW, dB;
    if (ctx.needs[0]) dX = g.conv(dY, w, undefined, s);
    if (ctx.needs[1]) {
      groupOneOnly(ctx.node, s.group);
      // Conv(dYᵀ [O,N,…], Xᵀ [C,N,…]) = [O, C, k…] -> [C, O, k…]
      dW = swapBatchAndChannels(g, weightCorrelation(g, dY, x, w.shape.slice(2), s));
    }
    if (ctx.needs[2]) dB = biasGradient(g, dY);
    return [dX, dW, dB];
  },
};
