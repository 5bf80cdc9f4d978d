// The shape of one op's vector–Jacobian rule. The driver (../grad.ts) calls it with dLoss/dOutput
// and reduces each returned gradient back over broadcast dimensions itself, so rules may return
// a gradient in the output's (broadcast) shape.
import { Attribute, Graph, Node, Value } from '../graph';

export interface GradientContext {
  graph: Graph;
  node: Node;
  /** dLoss/dOutput per output; undefined for outputs that do not reach the loss. */
  dY: readonly (Value | undefined)[];
  /** Which inputs need a gradient (on a path from `wrt` to the loss). */
  needs: readonly boolean[];
}

export interface OpGradient {
  opType: string;
  /** Inputs that never carry a gradient (indices, shapes, axes, conditions). */
  noGradientInputs?: readonly number[];
  /** One gradient per input; undefined where not needed or in noGradientInputs. */
  vjp(ctx: GradientContext): (Value | undefined)[];
}

export function intAttribute(node: Node, name: string, fallback: number): number {
  const a: Attribute | undefined = node.attributes[name];
  return a && (a.type === 'int' || a.type === 'float') ? a.value : fallback;
}

export function floatAttribute(node: Node, name: string, fallback: number): number {
  return intAttribute(node, name, fallback);
}

export function intsAttribute(node: Node, name: string, fallback: number[]): number[] {
  const a = node.attributes[name];
  return a && (a.type === 'ints' || a.type === 'floats') ? a.value : fallback;
}

export function stringAttribute(node: Node, name: string, fallback: string): string {
  const a = node.attributes[name];
  return a && a.type === 'string' ? a.value : fallback;
}

/** The single output's gradient, which the driver guarantees for single-output ops it visits. */
export function outputGradient(ctx: GradientContext): Value {
  const dY = ctx.dY[0];
  if (!dY) throw new Error(`${ctx.node.opType} ${ctx.node.name}: no output gradient (driver bug)`);
  return dY;
}

/** Constant axes of a shape-like input (Unsqueeze/Squeeze/Reduce*), which the builder always makes constant. */
export function constantInts(ctx: GradientContext, inputIndex: number): readonly number[] | undefined {
  return ctx.graph.constantNumbers(ctx.node.inputs[inputIndex]);
}
