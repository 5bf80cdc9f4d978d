// Reverse-mode autodiff over a Graph, micrograd-style: find the values that depend on `wrt` and
// reach `loss`, walk those nodes backwards applying each op's rule, sum fan-out, and undo
// broadcasting here (the one place that does).
import { isFloatDType } from './dtype';
import { Graph, Node, Value } from './graph';
import { gradientRules } from './gradients/index';
import { shapeText } from './shapeInference';

export class GradientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradientError';
  }
}

/** Gradients of the scalar `loss` with respect to each of `wrt`, as new values in the same graph. */
export function grad(graph: Graph, loss: Value, wrt: readonly Value[]): Value[] {
  if (loss.size !== 1) throw new GradientError(`grad: loss ${loss} must be a scalar (one element)`);
  if (!isFloatDType(loss.dtype)) throw new GradientError(`grad: loss ${loss} must be floating point`);
  for (const w of wrt) {
    if (!isFloatDType(w.dtype)) throw new GradientError(`grad: ${w} is ${w.dtype}; gradients exist only for floating-point values`);
  }

  // Forward: which values depend on wrt; `cameFrom` remembers one path for error messages.
  const cameFrom = new Map<Value, Value | null>(wrt.map((w) => [w, null]));
  const nodes = graph.nodes;
  const lossIndex = loss.producer ? nodes.indexOf(loss.producer) : -1;
  for (let i = 0; i <= lossIndex; i++) {
    const node = nodes[i];
    const from = node.inputs.find((v) => v && isFloatDType(v.dtype) && cameFrom.has(v));
    if (from) for (const o of node.outputs) if (isFloatDType(o.dtype)) cameFrom.set(o, from);
  }

  // Backward: values on a path wrt -> loss.
  const onPath = new Set<Value>(cameFrom.has(loss) ? [loss] : []);
  const pathNodes: Node[] = [];
  for (let i = lossIndex; i >= 0; i--) {
    const node = nodes[i];
    if (!node.outputs.some((o) => onPath.has(o))) continue;
    pathNodes.push(node);
    for (const v of node.inputs) if (v && cameFrom.has(v) && isFloatDType(v.dtype)) onPath.add(v);
  }

  const grads = new Map<Value, Value>();
  grads.set(loss, graph.constant([1], loss.shape, loss.dtype));
  for (const node of pathNodes) {
    const rule = gradientRules.get(node.opType);
    if (!rule) {
      throw new GradientError(`no gradient rule for ${node.opType} (node ${node.name}), reached on the path ${describePath(cameFrom, node)}; add src/onnx/gradients/${node.opType}.ts and list it in gradients/index.ts`);
    }
    const needs = node.inputs.map((v) => !!v && onPath.has(v));
    for (const i of rule.noGradientInputs ?? []) {
      if (needs[i]) throw new GradientError(`${node.opType} (node ${node.name}): input ${i} (${node.inputs[i]}) is a shape/index input and has no gradient, but it depends on ${describePath(cameFrom, node)}`);
    }
    const inputGrads = rule.vjp({ graph, node, dY: node.outputs.map((o) => grads.get(o)), needs });
    node.inputs.forEach((input, i) => {
      if (!input || !needs[i]) return;
      const g = inputGrads[i];
      if (!g) throw new GradientError(`gradient rule ${node.opType} returned nothing for input ${i} (${input}) of node ${node.name} although it is needed (rule bug)`);
      const reduced = unbroadcast(graph, g, input, node);
      const previous = grads.get(input);
      grads.set(input, previous ? graph.add(previous, reduced) : reduced);
    });
  }
  // A wrt that does not reach the loss has gradient zero.
  return wrt.map((w) => grads.get(w) ?? graph.zeros(w.shape, w.dtype));
}

/** Sums a gradient over the dimensions that broadcasting added or stretched, back to `input`'s shape. */
function unbroadcast(graph: Graph, g: Value, input: Value, node: Node): Value {
  if (shapeText(g.shape) === shapeText(input.shape)) return g;
  const offset = g.rank - input.rank;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    const inputDim = i < offset ? undefined : input.shape[i - offset];
    if (inputDim === undefined || (inputDim === 1 && d !== 1)) axes.push(i);
    else if (inputDim !== d) {
      throw new GradientError(`gradient rule ${node.opType} (node ${node.name}) returned ${shapeText(g.shape)} for input ${input}, which does not broadcast to it (rule bug)`);
    }
  });
  if (offset < 0) throw new GradientError(`gradient rule ${node.opType} (node ${node.name}) returned rank ${g.rank} for input ${input} (rule bug)`);
  return graph.reshape(graph.reduceSum(g, axes, true), input.shape);
}

function describePath(cameFrom: Map<Value, Value | null>, node: Node): string {
  const steps: string[] = [`${node.opType} (${node.name})`];
  let v = node.inputs.find((x) => x && cameFrom.has(x));
  while (v) {
    const from = cameFrom.get(v);
    if (from === null || !v.producer) {
      steps.push(`'${v.name}'`);
      break;
    }
    steps.push(v.producer.opType);
    v = from;
  }
  return steps.reverse().join(' → ');
}
