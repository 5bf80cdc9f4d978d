// A human-readable dump of a graph: op counts, parameter bytes, and one line per live node.
import { dtypeBytes } from './dtype';
import { Graph, Value } from './graph';
import { liveNodes } from './serialize';
import { shapeText } from './shapeInference';

export interface GraphSummary {
  nodeCount: number;
  opCounts: Record<string, number>;
  inlineParameterBytes: number;
  externalParameterBytes: number;
}

export function summarizeGraph(graph: Graph): GraphSummary {
  const nodes = liveNodes(graph);
  const opCounts: Record<string, number> = {};
  for (const n of nodes) opCounts[n.opType] = (opCounts[n.opType] ?? 0) + 1;
  const used = new Set<Value>();
  for (const n of nodes) for (const v of n.inputs) if (v) used.add(v);
  let inline = 0;
  let external = 0;
  for (const v of graph.initializers) {
    if (!used.has(v)) continue;
    const bytes = v.size * dtypeBytes[v.dtype];
    if (v.source.kind === 'external') external += bytes;
    else inline += bytes;
  }
  return { nodeCount: nodes.length, opCounts, inlineParameterBytes: inline, externalParameterBytes: external };
}

export function describeGraph(graph: Graph, options: { maxNodes?: number } = {}): string {
  const summary = summarizeGraph(graph);
  const lines: string[] = [];
  lines.push(`graph ${graph.name}: ${summary.nodeCount} nodes, inline parameters ${summary.inlineParameterBytes} B, external parameters ${summary.externalParameterBytes} B`);
  lines.push(
    'ops: ' +
      Object.entries(summary.opCounts)
        .sort((a, b) => b[1] - a[1])
        .map(([op, n]) => `${op}×${n}`)
        .join(' '),
  );
  for (const v of graph.inputs) lines.push(`input  ${v}`);
  for (const v of graph.outputs) lines.push(`output ${v}`);
  const nodes = liveNodes(graph);
  const max = options.maxNodes ?? 200;
  for (const n of nodes.slice(0, max)) {
    const attrs = Object.entries(n.attributes)
      .map(([k, a]) => `${k}=${Array.isArray(a.value) ? `[${a.value.join(',')}]` : a.value}`)
      .join(' ');
    const ins = n.inputs.map((v) => (v ? `${v.name}${shapeText(v.shape)}` : '∅')).join(', ');
    lines.push(`${n.outputs.map((o) => o.toString()).join(', ')} = ${n.opType}(${ins})${attrs ? ' ' + attrs : ''}`);
  }
  if (nodes.length > max) lines.push(`… ${nodes.length - max} more nodes`);
  return lines.join('\n');
}
