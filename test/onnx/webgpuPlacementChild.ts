// Child process of webgpuPlacement.test.ts (it needs the software Vulkan environment from process
// start). A small graph of the UNet's kind — Conv, GroupNormalization-21 (which ORT expands into
// primitive ops whose shape arithmetic it keeps on the CPU), SiLU — on WebGPU, once as built and
// once with its convolution forced onto the CPU (a deliberately wrong kernel choice). ORT's
// verbose log (logSeverity 0) goes to stderr, where the test reads its "Node placements"; each
// session's NodePlacementReport is printed on stdout as one JSON line.
import { Graph, createSession, serializeModel } from '../../src/onnx';

function graph(): { bytes: Uint8Array; conv: string } {
  const g = new Graph('conv_groupnorm');
  const x = g.input('x', 'float32', [1, 32, 8, 8]);
  const w = g.constant(new Float32Array(32 * 32 * 9).map((_, i) => Math.sin(i) * 0.05), [32, 32, 3, 3], 'float32');
  const b = g.constant(new Float32Array(32).fill(0.1), [32], 'float32');
  const y = g.conv(x, w, b, { strides: [1, 1], pads: [1, 1, 1, 1], group: 1 });
  const scale = g.constant(new Float32Array(32).fill(1.5), [32], 'float32');
  const shift = g.constant(new Float32Array(32).fill(-0.25), [32], 'float32');
  g.output(g.silu(g.groupNorm(y, scale, shift, 8, 1e-5)), 'y');
  return { bytes: serializeModel(g, { opset: 21 }), conv: g.nodes.find((n) => n.opType === 'Conv')!.name };
}

async function main(): Promise<void> {
  const { bytes, conv } = graph();
  for (const forced of [false, true]) {
    const session = await createSession(bytes, { provider: 'webgpu', logSeverity: 0, label: forced ? `${conv} forced onto the CPU` : 'as built', webgpuCpuNodes: forced ? [conv] : undefined });
    await session.run({ x: { dtype: 'float32', shape: [1, 32, 8, 8], data: new Float32Array(32 * 64).map((_, i) => Math.cos(i * 0.1)) } });
    process.stdout.write(JSON.stringify({ forced: forced ? conv : null, report: session.nodePlacement }) + '\n');
    await session.release();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
