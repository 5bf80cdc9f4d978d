// Ops that only move elements around. Their gradients move dY back.
import { OpGradient, constantInts, intAttribute, outputGradient } from './gradientRule';
import { resolveSliceRange } from '../graph';

// Reshape, Squeeze, Unsqueeze, Flatten: dX = reshape(dY, shape(X))
function reshapeBack(opType: string): OpGradient {
  return {
    opType,
    noGradientInputs: [1],
    vjp: (ctx) => [ctx.graph.reshape(outputGradient(ctx), ctx.node.inputs[0]!.shape)],
  };
}
export const Reshape = reshapeBack('Reshape');
export const Squeeze = reshapeBack('Squeeze');
export const Unsqueeze = reshapeBack('Unsqueeze');

// dX = transpose(dY, perm⁻¹)
export const Transpose: OpGradient = {
  opType: 'Transpose',
  vjp: (ctx) => {
    const x = ctx.node.inputs[0]!;
    const perm = ctx.node.attributes.perm?.type === 'ints' ? ctx.node.attributes.perm.value : x.shape.map((_, i) => x.rank - 1 - i);
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.graph.transpose(outputGradient(ctx), inverse)];
  },
};

// dX = dY zero-padded back into place (unit steps)
export const Slice: OpGradient = {
  opType: 'Slice',
  noGradientInputs: [1, 2, 3, 4],
  vjp: (ctx) => {
    const x = ctx.node.inputs[0]!;
    const starts = constantInts(ctx, 1);
    const ends = constantInts(ctx, 2);
    const axes = ctx.node.inputs[3] ? constantInts(ctx, 3) : starts?.map((_, i) => i);
    const steps = ctx.node.inputs[4] ? constantInts(ctx, 4) : starts?.map(() => 1);
    if (!starts || !ends || !axes || !steps) throw new Error(`Slice ${ctx.node.name}: starts/ends/axes/steps must be constants for its gradient`);
    if (steps.some((s) => s !== 1)) throw new Error(`Slice ${ctx.node.name}: gradient implemented for step 1 only (got steps [${steps.join(',')}])`);
    const pads = new Array<number>(2 * x.rank).fill(0);
    axes.forEach((axis, i) => {
      const a = axis < 0 ? axis + x.rank : axis;
      const [s, e] = resolveSliceRange(x.shape[a], starts[i], ends[i], 1);
      pads[a] = s;
      pads[a + x.rank] = x.shape[a] - Math.max(s, e);
    });
    return [ctx.graph.padZeros(outputGradient(ctx), pads)];
  },
};

// dX = concat(dY₀, dY₁, …) along the split axis (zeros for outputs that do not reach the loss)
export const Split: OpGradient = {
  opType: 'Split',
  noGradientInputs: [1],
  vjp: (ctx) => {
    const g = ctx.graph;
    const axis = intAttribute(ctx.node, 'axis', 0);
    const pieces = ctx.node.outputs.map((y, i) => ctx.dY[i] ?? g.zeros(y.shape, y.dtype));
    return [g.concat(pieces, axis)];
  },
};

// dXᵢ = slice of dY along the concat axis
export const Concat: OpGradient = {
  opType: 'Concat',
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const axis = intAttribute(ctx.node, 'axis', 0);
    let offset = 0;
    return ctx.node.inputs.map((x, i) => {
      const start = offset;
      offset += x!.shape[axis];
      return ctx.needs[i] ? g.slice(dY, [start], [offset], [axis]) : undefined;
    });
  },
};

// dX = dY, summed over the expanded dims by the driver's unbroadcast
export const Expand: OpGradient = {
  opType: 'Expand',
  noGradientInputs: [1],
  vjp: (ctx) => [outputGradient(ctx)],
};

// dData = ScatterND-add of dY into zeros at the gathered rows (repeated indices accumulate)
export const Gather: OpGradient = {
  opType: 'Gather',
  noGradientInputs: [1],
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const [data, indices] = [ctx.node.inputs[0]!, ctx.node.inputs[1]!];
    const axis = intAttribute(ctx.node, 'axis', 0);
    // Bring the gathered axis to the front so ScatterND addresses whole slices.
    const dataPerm = [axis, ...data.shape.map((_, i) => i).filter((i) => i !== axis)];
    const front = dataPerm.map((p) => data.shape[p]);
    const ir = indices.rank;
    // dY is [data[:axis], indices…, data[axis+1:]]; move the index dims to the front.
    const dYPerm = [...Array.from({ length: ir }, (_, i) => axis + i), ...Array.from({ length: axis }, (_, i) => i), ...Array.from({ length: data.rank - axis - 1 }, (_, i) => axis + ir + i)];
    const updates = g.transpose(dY, dYPerm);
    // Negative indices are valid in Gather; ScatterND accepts them too.
    const scatterIndices = g.unsqueeze(g.cast(indices, 'int64'), [ir]);
    const scattered = g.scatterNDAdd(g.zeros(front, data.dtype), scatterIndices, updates);
    const inverse = new Array<number>(dataPerm.length);
    dataPerm.forEach((p, i) => (inverse[p] = i));
    return [g.transpose(scattered, inverse), undefined];
  },
};

// Nearest ×2: dX = Σ over each 2×2 block of dY
export const Resize: OpGradient = {
  opType: 'Resize',
  noGradientInputs: [1, 2, 3],
  vjp: (ctx) => {
    const g = ctx.graph;
    const dY = outputGradient(ctx);
    const x = ctx.node.inputs[0]!;
    const scales = ctx.graph.constantNumbers(ctx.node.inputs[2]);
    const mode = ctx.node.attributes.mode;
    if (!scales || scales.join(',') !== '1,1,2,2' || mode?.type !== 'string' || mode.value !== 'nearest' || x.rank !== 4) {
      throw new Error(`Resize ${ctx.node.name}: gradient implemented for nearest ×2 upsampling of [N,C,H,W] only (resizeNearest2x)`);
    }
    const [n, c, h, w] = x.shape;
    const blocks = g.reshape(dY, [n, c, h, 2, w, 2]);
    return [g.reshape(g.reduceSum(blocks, [3, 5], false), x.shape)];
  },
};

// Pad (constant mode): dX = dY with the padding sliced off
export const Pad: OpGradient = {
  opType: 'Pad',
  noGradientInputs: [1, 2, 3],
  vjp: (ctx) => {
    const x = ctx.node.inputs[0]!;
    const pads = constantInts(ctx, 1);
    const mode = ctx.node.attributes.mode;
    if (!pads || ctx.node.inputs[3] || (mode && (mode.type !== 'string' || mode.value !== 'constant'))) {
      throw new Error(`Pad ${ctx.node.name}: gradient implemented for constant padding with constant pads over all axes only`);
    }
    const axes = x.shape.map((_, i) => i);
    return [ctx.graph.slice(outputGradient(ctx), pads.slice(0, x.rank), x.shape.map((d, i) => pads[i] + d), axes)];
  },
};
