// Where ONNX Runtime ran each node of a session on a GPU provider. ORT places a node on the CPU
// when the GPU provider has no kernel for it (an op, a dtype, an attribute), and it does not say
// so unless asked: its verbose log goes to the process's native stderr, out of our reach, so the
// session wrapper profiles the first run instead (one "Node" event per executed kernel, with its
// provider and the dtypes and shapes of its tensors) and classifies the result here.
//
// Shape arithmetic, precisely: a node run on the CPU provider whose every input and output is an
// integer or boolean tensor of at most `shapeArithmeticMaxElements` elements (shape vectors, axis
// indices, sizes). ORT keeps such nodes on the CPU by design: their results feed shape inputs that
// must be on the host. Anything else on the CPU (a float tensor in or out, or a large integer
// tensor) is a compute node, and that is what the run log reports.

/** ORT's names of the providers, as they appear in profiles and logs. */
export const ortProviderNames = {
  cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider',
  dml: 'DmlExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
} as const;

export const shapeArithmeticMaxElements = 64;

export interface PlacedTensor {
  /** ORT's type name: float, MLFloat16, double, int64, bool, … */
  dtype: string;
  shape: number[];
}

export interface PlacedNode {
  name: string;
  opType: string;
  /** ORT's provider name, e.g. WebGpuExecutionProvider. */
  provider: string;
  inputs: PlacedTensor[];
  outputs: PlacedTensor[];
}

export interface NodePlacementReport {
  /** What the session was made for (a model file name or a graph label). */
  label: string;
  /** ORT's name of the session's provider. */
  provider: string;
  /** Kernels executed in the profiled run. */
  totalNodes: number;
  /** Of those, run by the session's provider. */
  onProvider: number;
  /** CPU nodes that are shape arithmetic (see the file comment), counted by op type. */
  cpuShapeArithmetic: Record<string, number>;
  /** CPU nodes that compute on tensors: each one is work the GPU provider could not take. */
  cpuCompute: PlacedNode[];
  /** Nodes on any provider other than the session's and the CPU (none expected). */
  elsewhere: PlacedNode[];
}

const integerTypes = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool']);

function elements(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * Math.max(d, 0), 1);
}

/** True for a node that only does shape arithmetic (integer/bool tensors of a few elements). */
export function isShapeArithmetic(node: Pick<PlacedNode, 'inputs' | 'outputs'>): boolean {
  const tensors = [...node.inputs, ...node.outputs];
  return node.outputs.length > 0 && tensors.every((t) => integerTypes.has(t.dtype) && elements(t.shape) <= shapeArithmeticMaxElements);
}

/** ORT writes a tensor list as [{"float":[2,3]}, {"int64":[4]}]. */
function tensorList(value: unknown): PlacedTensor[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) => {
    if (typeof entry !== 'object' || entry === null) return [];
    return Object.entries(entry as Record<string, unknown>).map(([dtype, shape]) => ({
      dtype,
      shape: Array.isArray(shape) ? shape.map(Number) : [],
    }));
  });
}

/** The executed kernels of an ORT profile (the JSON array `endProfiling()` writes). */
export function placedNodesFromProfile(profile: unknown): PlacedNode[] {
  if (!Array.isArray(profile)) throw new Error('an ONNX Runtime profile is a JSON array of events');
  const nodes: PlacedNode[] = [];
  for (const event of profile) {
    if (typeof event !== 'object' || event === null) continue;
    const e = event as { cat?: unknown; name?: unknown; args?: Record<string, unknown> };
    if (e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time') || !e.args) continue;
    nodes.push({
      name: e.name.slice(0, -'_kernel_time'.length),
      opType: String(e.args.op_name ?? ''),
      provider: String(e.args.provider ?? ''),
      inputs: tensorList(e.args.input_type_shape),
      outputs: tensorList(e.args.output_type_shape),
    });
  }
  return nodes;
}

export function nodePlacementReport(label: string, provider: string, nodes: readonly PlacedNode[]): NodePlacementReport {
  const report: NodePlacementReport = { label, provider, totalNodes: nodes.length, onProvider: 0, cpuShapeArithmetic: {}, cpuCompute: [], elsewhere: [] };
  for (const node of nodes) {
    if (node.provider === provider) report.onProvider++;
    else if (node.provider === ortProviderNames.cpu) {
      if (isShapeArithmetic(node)) report.cpuShapeArithmetic[node.opType] = (report.cpuShapeArithmetic[node.opType] ?? 0) + 1;
      else report.cpuCompute.push(node);
    } else report.elsewhere.push(node);
  }
  return report;
}

function tensorText(t: PlacedTensor): string {
  return `${t.dtype}[${t.shape.join(',')}]`;
}

/** One line for the run log: how much ran where, and every compute node that ran on the CPU. */
export function describeNodePlacement(report: NodePlacementReport): string {
  const shape = Object.entries(report.cpuShapeArithmetic);
  const shapeCount = shape.reduce((n, [, c]) => n + c, 0);
  const parts = [`${report.label}: ${report.onProvider} of ${report.totalNodes} nodes on ${report.provider}`];
  if (shapeCount > 0) parts.push(`${shapeCount} shape-arithmetic nodes on the CPU (${shape.map(([op, c]) => `${op} ${c}`).join(', ')})`);
  if (report.cpuCompute.length > 0) {
    const listed = report.cpuCompute.slice(0, 8).map((n) => `${n.opType} ${n.name} (${n.inputs.map(tensorText).join(', ')} → ${n.outputs.map(tensorText).join(', ')})`);
    const more = report.cpuCompute.length > listed.length ? `, and ${report.cpuCompute.length - listed.length} more` : '';
    parts.push(`${report.cpuCompute.length} COMPUTE nodes ran on the CPU: ${listed.join('; ')}${more}`);
  }
  if (report.elsewhere.length > 0) parts.push(`${report.elsewhere.length} on other providers (${[...new Set(report.elsewhere.map((n) => n.provider))].join(', ')})`);
  return parts.join('; ');
}
