// Classifying a profile's kernels: shape arithmetic (small integer tensors) may stay on the CPU,
// anything carrying tensor data there is compute. Events are written as ORT 1.30 writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeNodePlacement, isShapeArithmetic, nodePlacementReport, placedNodesFromProfile } from '../../src/onnx/nodePlacement';

const event = (name: string, op: string, provider: string, inputs: Record<string, number[]>[], outputs: Record<string, number[]>[]) => ({
  cat: 'Node', pid: 1, tid: 1, dur: 10, ts: 1, ph: 'X', name: `${name}_kernel_time`,
  args: { op_name: op, provider, input_type_shape: inputs, output_type_shape: outputs, node_index: '0' },
});

const profile = [
  { cat: 'Session', name: 'model_run', args: {} },
  event('Conv_0', 'Conv', 'WebGpuExecutionProvider', [{ float: [1, 4, 8, 8] }, { float: [4, 4, 3, 3] }], [{ float: [1, 4, 8, 8] }]),
  event('Gather_3', 'Gather', 'CPUExecutionProvider', [{ int64: [4] }, { int64: [] }], [{ int64: [] }]),
  event('Div_4', 'Div', 'CPUExecutionProvider', [{ int64: [] }, { int64: [] }], [{ int64: [] }]),
  event('Concat_5', 'Concat', 'CPUExecutionProvider', [{ int64: [1] }, { int64: [1] }, { int64: [1] }], [{ int64: [3] }]),
  event('Sin_6', 'Sin', 'CPUExecutionProvider', [{ double: [1, 4] }], [{ double: [1, 4] }]),
  event('Gather_7', 'Gather', 'CPUExecutionProvider', [{ float: [1000, 64] }, { int64: [1, 77] }], [{ float: [1, 77, 64] }]),
  event('ArgMax_8', 'ArgMax', 'CPUExecutionProvider', [{ int64: [1, 4096] }], [{ int64: [1] }]),
];

test('profile kernels become placed nodes with their dtypes and shapes', () => {
  const nodes = placedNodesFromProfile(profile);
  assert.equal(nodes.length, 7);
  assert.deepEqual(nodes[0], { name: 'Conv_0', opType: 'Conv', provider: 'WebGpuExecutionProvider', inputs: [{ dtype: 'float', shape: [1, 4, 8, 8] }, { dtype: 'float', shape: [4, 4, 3, 3] }], outputs: [{ dtype: 'float', shape: [1, 4, 8, 8] }] });
  assert.throws(() => placedNodesFromProfile({}), /JSON array/);
});

test('shape arithmetic is integer tensors of a few elements; floats, doubles and large index tensors are compute', () => {
  const report = nodePlacementReport('step.onnx', 'WebGpuExecutionProvider', placedNodesFromProfile(profile));
  assert.equal(report.totalNodes, 7);
  assert.equal(report.onProvider, 1);
  assert.deepEqual(report.cpuShapeArithmetic, { Gather: 1, Div: 1, Concat: 1 });
  assert.deepEqual(report.cpuCompute.map((n) => n.name), ['Sin_6', 'Gather_7', 'ArgMax_8']);
  assert.equal(isShapeArithmetic({ inputs: [{ dtype: 'int64', shape: [64] }], outputs: [{ dtype: 'int64', shape: [1] }] }), true);
  assert.equal(isShapeArithmetic({ inputs: [{ dtype: 'int64', shape: [65] }], outputs: [{ dtype: 'int64', shape: [1] }] }), false);
  const line = describeNodePlacement(report);
  assert.match(line, /^step\.onnx: 1 of 7 nodes on WebGpuExecutionProvider; 3 shape-arithmetic nodes on the CPU \(Gather 1, Div 1, Concat 1\); 3 COMPUTE nodes ran on the CPU: Sin Sin_6 \(double\[1,4\] → double\[1,4\]\); Gather Gather_7/);
});
