// The explicit list of ops with a gradient rule. An op missing here makes grad() fail with the op
// and the path from `wrt`, never silently produce a wrong gradient.
import { Add, Div, Mul, Neg, Pow, Sub } from './elementwiseArithmetic';
import { Cast, Cos, Erf, Exp, Gelu, Identity, Log, Sigmoid, Sin, Sqrt, Tanh, Where } from './elementwiseFunctions';
import { Conv, ConvTranspose } from './Conv';
import { Gemm } from './Gemm';
import { MatMul } from './MatMul';
import { GroupNormalization, LayerNormalization } from './Normalization';
import { ReduceMean, ReduceSum } from './Reduce';
import { Concat, Expand, Gather, Pad, Reshape, Resize, Slice, Split, Squeeze, Transpose, Unsqueeze } from './ShapeOps';
import { Softmax } from './Softmax';
import type { OpGradient } from './gradientRule';

const rules: OpGradient[] = [
  Add, Sub, Mul, Div, Pow, Neg,
  Sqrt, Exp, Log, Erf, Tanh, Sigmoid, Sin, Cos, Gelu, Identity, Where, Cast,
  MatMul, Gemm, Conv, ConvTranspose,
  Softmax, ReduceMean, ReduceSum, LayerNormalization, GroupNormalization,
  Reshape, Squeeze, Unsqueeze, Transpose, Slice, Pad, Split, Concat, Expand, Gather, Resize,
];

export const gradientRules: ReadonlyMap<string, OpGradient> = new Map(rules.map((r) => [r.opType, r]));

/** Op types that have a gradient rule. */
export const differentiableOpTypes: readonly string[] = rules.map((r) => r.opType);

export type { OpGradient, GradientContext } from './gradientRule';
