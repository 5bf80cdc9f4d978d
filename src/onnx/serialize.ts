// Graph -> ONNX ModelProto bytes with the onnx-proto (protobufjs) definitions. Only nodes and
// initialisers that the outputs depend on are written, so unused gradient branches cost nothing.
import { onnx } from 'onnx-proto';
import { onnxDataType } from './dtype';
import { Attribute, Graph, Node, Value } from './graph';

export interface SerializeOptions {
  /** Default opset 21 (GroupNormalization-21 with per-channel scale, Gelu-20). */
  opset?: number;
  /** Default IR version 10 (the one that goes with opset 21). */
  irVersion?: number;
}

export const defaultOpset = 21;

/** Nodes needed for the graph's outputs, in topological order. */
export function liveNodes(graph: Graph): Node[] {
  const needed = new Set<Value>(graph.outputs);
  const live: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.outputs.some((o) => needed.has(o))) continue;
    live.push(node);
    for (const v of node.inputs) if (v) needed.add(v);
  }
  return live.reverse();
}

export function serializeModel(graph: Graph, options: SerializeOptions = {}): Uint8Array {
  if (graph.outputs.length === 0) throw new Error(`graph '${graph.name}' has no outputs: call graph.output(value, name) first`);
  const nodes = liveNodes(graph);
  const used = new Set<Value>(graph.outputs);
  for (const n of nodes) for (const v of n.inputs) if (v) used.add(v);
  const model: onnx.IModelProto = {
    irVersion: options.irVersion ?? 10,
    producerName: 'embedding-studio',
    opsetImport: [{ domain: '', version: options.opset ?? defaultOpset }],
    graph: {
      name: graph.name,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: graph.initializers.filter((v) => used.has(v)).map(tensorProto),
      node: nodes.map((n) => nodeProto(n, used)),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

function valueInfo(v: Value): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: { tensorType: { elemType: onnxDataType[v.dtype], shape: { dim: v.shape.map((d) => ({ dimValue: d })) } } },
  };
}

function tensorProto(v: Value): onnx.ITensorProto {
  const base: onnx.ITensorProto = { name: v.name, dataType: onnxDataType[v.dtype], dims: [...v.shape] };
  const src = v.source;
  if (src.kind === 'constant') return { ...base, rawData: src.bytes };
  if (src.kind === 'external') {
    return {
      ...base,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: src.location },
        { key: 'offset', value: String(src.offset) },
        { key: 'length', value: String(src.length) },
      ],
    };
  }
  throw new Error(`${v.name} is not an initialiser`);
}

const opsWithOptionalOutputs = new Set(['LayerNormalization']);

function nodeProto(n: Node, used: ReadonlySet<Value>): onnx.INodeProto {
  // Optional outputs nobody reads are left out ('' in the middle, dropped at the end), so ORT
  // neither computes nor keeps them. Only for ops whose extra outputs are optional: ORT crashes
  // on an empty output name of, e.g., Split.
  const optional = opsWithOptionalOutputs.has(n.opType);
  const output = n.outputs.map((v, i) => (i === 0 || !optional || used.has(v) ? v.name : ''));
  while (output.length > 1 && output[output.length - 1] === '') output.pop();
  return {
    name: n.name,
    opType: n.opType,
    input: n.inputs.map((v) => (v ? v.name : '')),
    output,
    attribute: Object.entries(n.attributes).map(([name, a]) => attributeProto(name, a)),
  };
}

function attributeProto(name: string, a: Attribute): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'ints': return { name, type: T.INTS, ints: a.value };
    case 'floats': return { name, type: T.FLOATS, floats: a.value };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}
