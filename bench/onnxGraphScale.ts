// Scale benchmark for the graph builder: ~10,000 nodes over 1 GiB of external float32 weights in
// a generated file (deleted afterwards). Measures build, serialise, session creation and one run,
// and shows that weights are referenced, not copied: protobuf size vs weight bytes, and RSS growth
// vs weight bytes. Each session configuration runs in its own child process so peak RSS is its own.
//   node --import tsx bench/onnxGraphScale.ts
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, createSession, serializeModel, summarizeGraph, writeModel } from '../src/onnx/index';

const hidden = 320;
const layers = 2560; // 4 nodes per layer -> 10,240 nodes; 2560 · 320² · 4 B = 1.05 GB
const matrixBytes = hidden * hidden * 4;
const weightBytes = layers * matrixBytes;
const mib = (b: number) => (b / 2 ** 20).toFixed(1);

function writeWeights(path: string): void {
  // A 4 MiB block of small pseudo-random values: fast to write, numerically tame.
  const block = new Float32Array(1 << 20);
  let s = 12345;
  for (let i = 0; i < block.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    block[i] = ((s / 2 ** 32) - 0.5) * (2 / Math.sqrt(hidden));
  }
  // Each block rescaled differently so no two weight matrices hold the same bytes (ORT must not
  // be able to share anything).
  const scaledBlock = new Float32Array(block.length);
  const bytes = new Uint8Array(scaledBlock.buffer);
  const fd = openSync(path, 'w');
  try {
    for (let written = 0, k = 0; written < weightBytes; written += bytes.length, k++) {
      for (let i = 0; i < block.length; i++) scaledBlock[i] = block[i] * (1 + k / 1024);
      writeSync(fd, bytes, 0, Math.min(bytes.length, weightBytes - written));
    }
  } finally {
    closeSync(fd);
  }
}

function buildGraph(location: string): Graph {
  const g = new Graph('scale');
  let h = g.input('x', 'float32', [1, hidden]);
  const bias = g.constant(new Array(hidden).fill(0.01), [hidden], 'float32');
  const half = g.scalar(0.5, 'float32');
  for (let i = 0; i < layers; i++) {
    const w = g.externalTensor(`layer${i}.weight`, { dtype: 'float32', shape: [hidden, hidden], location, offset: i * matrixBytes, length: matrixBytes });
    h = g.mul(g.tanh(g.add(g.matMul(h, w), bias)), half);
  }
  g.output(h, 'y');
  return g;
}

/** Resident anonymous and file-backed memory (Linux), to tell copies from mapped file pages. */
function residentKinds(): { anon: number; file: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) * 1024;
    return { anon: kib('RssAnon'), file: kib('RssFile') };
  } catch {
    return { anon: NaN, file: NaN };
  }
}

async function child(dir: string, mode: string): Promise<void> {
  const rss0 = process.memoryUsage().rss;
  const kinds0 = residentKinds();
  const t0 = performance.now();
  const s = await createSession(join(dir, 'scale.onnx'), {
    provider: 'cpu',
    disablePrepacking: mode === 'no-prepack',
    graphOptimization: mode === 'no-opt' ? 'disabled' : 'all',
  });
  const createMs = performance.now() - t0;
  const rssSession = process.memoryUsage().rss;
  const kinds1 = residentKinds();
  const t1 = performance.now();
  const out = await s.run({ x: { dtype: 'float32', shape: [1, hidden], data: new Float32Array(hidden).fill(1) } });
  const runMs = performance.now() - t1;
  const finite = Array.from(out.y.data as Float32Array).every(Number.isFinite);
  const rssRun = process.memoryUsage().rss;
  const kinds2 = residentKinds();
  const t2 = performance.now();
  await s.run({ x: { dtype: 'float32', shape: [1, hidden], data: new Float32Array(hidden).fill(1) } });
  const secondRunMs = performance.now() - t2;
  await s.release();
  console.log(JSON.stringify({ mode, createMs, runMs, secondRunMs, rss0, rssSession, rssRun, maxRss: process.resourceUsage().maxRSS * 1024, finite, anonCreate: kinds1.anon - kinds0.anon, fileCreate: kinds1.file - kinds0.file, anonRun: kinds2.anon - kinds0.anon, fileRun: kinds2.file - kinds0.file }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4]);
  const dir = mkdtempSync(join(tmpdir(), 'es-onnx-scale-'));
  try {
    let t = performance.now();
    writeWeights(join(dir, 'weights.bin'));
    const writeMs = performance.now() - t;
    const rssBefore = process.memoryUsage().rss;
    t = performance.now();
    const g = buildGraph('weights.bin');
    const buildMs = performance.now() - t;
    t = performance.now();
    const bytes = serializeModel(g);
    const serializeMs = performance.now() - t;
    writeModel(join(dir, 'scale.onnx'), bytes);
    const summary = summarizeGraph(g);
    const rssBuilt = process.memoryUsage().rss;
    console.log(`graph: ${summary.nodeCount} nodes, ${mib(summary.externalParameterBytes)} MiB external weights (file written in ${writeMs.toFixed(0)} ms)`);
    console.log(`build ${buildMs.toFixed(0)} ms, serialise ${serializeMs.toFixed(0)} ms, builder RSS growth ${mib(rssBuilt - rssBefore)} MiB`);
    console.log(`protobuf ${mib(bytes.length)} MiB = ${(bytes.length / weightBytes * 100).toFixed(3)} % of the weight bytes (on disk: ${mib(statSync(join(dir, 'scale.onnx')).size)} MiB)`);
    console.log('');
    console.log('session config | create ms | run ms (1st/2nd) | RSS growth at create (anon/file) | after first run (anon/file) | peak RSS | create growth / weights');
    console.log('---------------|-----------|-------------------|----------------------------------|-----------------------------|----------|------------------------');
    for (const mode of ['no-prepack', 'default', 'no-opt']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', dir, mode], { encoding: 'utf8' });
      const line = r.stdout.trim().split('\n').find((l) => l.startsWith('{'));
      if (!line) {
        console.log(`${mode}: failed\n${r.stderr.slice(-2000)}`);
        continue;
      }
      const m = JSON.parse(line);
      const createGrowth = m.rssSession - m.rss0;
      console.log(
        `${m.mode.padEnd(15)}| ${m.createMs.toFixed(0).padStart(9)} | ${`${m.runMs.toFixed(0)}/${m.secondRunMs.toFixed(0)}`.padStart(17)} | ${`${mib(createGrowth)} MiB (${mib(m.anonCreate)}/${mib(m.fileCreate)})`.padStart(32)} | ${`${mib(m.rssRun - m.rss0)} MiB (${mib(m.anonRun)}/${mib(m.fileRun)})`.padStart(27)} | ${(mib(m.maxRss) + ' MiB').padStart(8)} | ${(createGrowth / weightBytes).toFixed(3).padStart(22)}${m.finite ? '' : '  (non-finite output!)'}`,
      );
    }
    console.log('');
    console.log('no-prepack: disable_prepacking keeps the mapped weights; default: ORT pre-packs MatMul weights into its own copy;');
    console.log('no-opt: graph optimisations off. "at first run" includes pages of the mapped file touched by the run (file-backed, reclaimable).');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
