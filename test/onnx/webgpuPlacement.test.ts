// Node placement on WebGPU (SwiftShader): the report the session wrapper reads from its profiled
// first run, checked against ORT's own verbose "Node placements" log of the same session, and a
// deliberately wrong kernel choice (a convolution forced onto the CPU) caught as compute on the
// CPU. The SD graphs' own placement (TI step, VAE, preview) is asserted by the WebGPU training
// test from the run log.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { NodePlacementReport } from '../../src/onnx';
import { softwareVulkan } from './softwareVulkan';

const repo = join(__dirname, '../..');
const vulkan = softwareVulkan();
after(() => {
  if (typeof vulkan !== 'string') vulkan.cleanup();
});

/** ORT's verbose log: for each session, provider → the op types it was given. */
function verbosePlacements(stderr: string): Map<string, string[]>[] {
  const sessions: Map<string, string[]>[] = [];
  let current: string[] | undefined;
  for (const line of stderr.split('\n')) {
    const text = line.replace(/^.*VerifyEachNodeIsAssignedToAnEp\] ?/, '');
    if (text === line) {
      current = undefined;
      continue;
    }
    if (text === 'Node placements') sessions.push(new Map());
    const header = /^ ?(?:All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)$/.exec(text);
    if (header) {
      current = [];
      sessions[sessions.length - 1].set(header[1], current);
      if (text.includes('All nodes')) current.push(...new Array(Number(header[2])).fill('?'));
      continue;
    }
    const node = /^ {2,}(\w+) \(/.exec(text);
    if (node && current) current.push(node[1]);
  }
  return sessions;
}

test('the placement report matches ORT\'s verbose log; a convolution forced onto the CPU is reported as compute there', { skip: typeof vulkan === 'string' ? vulkan : false }, () => {
  if (typeof vulkan === 'string') return;
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'webgpuPlacementChild.ts')], { cwd: repo, env: vulkan.env, encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 28 });
  assert.equal(run.status, 0, run.stderr.slice(-3000));
  const reports = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { forced: string | null; report: NodePlacementReport });
  const logs = verbosePlacements(run.stderr);
  assert.equal(reports.length, 2);
  assert.equal(logs.length, 2);
  for (const [i, { report }] of reports.entries()) {
    const log = logs[i];
    const cpuOps = log.get('CPUExecutionProvider') ?? [];
    assert.equal(report.onProvider, (log.get('WebGpuExecutionProvider') ?? []).length, 'nodes on WebGPU');
    const shapeCount = Object.values(report.cpuShapeArithmetic).reduce((a, b) => a + b, 0);
    assert.equal(shapeCount + report.cpuCompute.length, cpuOps.length, 'nodes on the CPU');
    assert.equal(report.totalNodes, report.onProvider + cpuOps.length);
    // the same op types on the CPU, split into shape arithmetic and compute
    const ours = [...Object.entries(report.cpuShapeArithmetic).flatMap(([op, n]) => new Array(n).fill(op)), ...report.cpuCompute.map((n) => n.opType)].sort();
    assert.deepEqual(ours, [...cpuOps].sort());
  }
  const [asBuilt, forced] = reports;
  // GroupNormalization's expansion leaves its shape arithmetic on the CPU, and nothing else
  assert.ok(Object.keys(asBuilt.report.cpuShapeArithmetic).length > 0, JSON.stringify(asBuilt.report));
  assert.deepEqual(asBuilt.report.cpuCompute, []);
  // the wrong kernel choice: the convolution (as ORT's NCHWc Conv with its reorders) on the CPU
  assert.ok(forced.forced);
  assert.ok(forced.report.cpuCompute.some((n) => n.opType === 'Conv' && n.outputs.some((t) => t.dtype === 'float')), JSON.stringify(forced.report.cpuCompute));
});
