// Full-size benchmark of the textual-inversion step: a random SD1.5-shaped fp16 checkpoint (real
// tensor names and shapes, ~2 GB, generated here and deleted afterwards unless given with
// --checkpoint), the TI loss + d loss/d emb graph at 64×64 latents, CLIP skip 2, on ORT CPU.
// Reports session creation, step time and peak RSS, each configuration in its own child process
// (so peak RSS is its own). Reference measured in the same run: the forward-only loss graph of
// the same model (ratio = cost of the gradient), and the tiny fixture model through the same code.
//   node --import tsx bench/sdFullSize.ts [--checkpoint FILE] [--latent 64] [--batch 1] [--steps 2]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Graph, grad, placeModelForCheckpoint, serializeModel, summarizeGraph, writeModel, type HostTensor, type Session } from '../src/onnx';
import { inferSd1Architecture, headsFromFixtureConfig } from '../src/sd/architecture';
import { clipTextHidden, clipTokenEmbeddings } from '../src/sd/clipTextGraph';
import { sd1AlphasCumprod } from '../src/sd/noiseSchedule';
import { sd15CheckpointConfig, writeRandomCheckpoint } from '../src/sd/randomCheckpoint';
import { openSafetensors } from '../src/sd/safetensors';
import { textualInversionFeeds, textualInversionInputs } from '../src/sd/textualInversionLossGraph';
import { unetEps } from '../src/sd/unetGraph';
import { CheckpointWeights, createWeightedSession } from '../src/sd/weights';

const mib = (b: number) => (b / 2 ** 20).toFixed(0);
const vectors = 8;
const clipSkip = 2;

/** The TI loss graph; `withGradient` false gives the forward-only reference of the same model. */
function buildLossModel(checkpointPath: string, location: string, heads: { textHeads?: number; unetHeads?: number }, batch: number, latent: number, withGradient: boolean) {
  const file = openSafetensors(checkpointPath);
  const arch = inferSd1Architecture(file, heads);
  const g = new Graph('ti_bench');
  const weights = new CheckpointWeights(g, file, { locationOf: () => location });
  const te = arch.textEncoder;
  const n = textualInversionInputs;
  const latentShape = [batch, arch.unet.inChannels, latent, latent];
  const emb = g.input(n.emb, 'float32', [vectors, te.width]);
  const ids = g.input(n.inputIds, 'int64', [batch, te.positions]);
  const placement = g.input(n.placement, 'float32', [batch, te.positions, vectors]);
  const x0 = g.input(n.x0, 'float32', latentShape);
  const noise = g.input(n.noise, 'float32', latentShape);
  const sa = g.input(n.signalScale, 'float32', [batch, 1, 1, 1]);
  const sn = g.input(n.noiseScale, 'float32', [batch, 1, 1, 1]);
  const tf = g.input(n.timeFeatures, 'float32', [batch, arch.unet.modelChannels]);
  const noisy = g.add(g.mul(sa, x0), g.mul(sn, noise));
  const [cond] = clipTextHidden(g, weights, te, clipTokenEmbeddings(g, weights, te, ids, { emb, placement }), [clipSkip]);
  const d = g.sub(unetEps(g, weights, arch.unet, noisy, tf, cond), noise);
  const loss = g.reshape(g.reduceMean(g.mul(d, d)), [1]);
  g.output(loss, 'loss');
  if (withGradient) g.output(grad(g, loss, [emb])[0], 'grad');
  return { file, arch, g, weights, bytes: serializeModel(g) };
}

/** Session settings compared: ORT defaults, or lean = no pre-packed weight copies and no memory arena. */
type SessionMode = 'default' | 'lean';

async function createBenchSession(bytes: Uint8Array, weights: CheckpointWeights, modelPath: string | undefined, mode: SessionMode): Promise<Session> {
  if (mode === 'default' || !modelPath) {
    return modelPath
      ? createWeightedSession(bytes, weights, { modelPath, session: { provider: 'cpu' } })
      : createWeightedSession(bytes, weights, { inMemory: true, session: { provider: 'cpu' } });
  }
  return createWeightedSession(bytes, weights, {
    modelPath,
    session: { provider: 'cpu', disablePrepacking: true, disableCpuMemArena: true },
  });
}

async function child(checkpointPath: string, label: string, withGradient: boolean, batch: number, latent: number, steps: number, heads: { textHeads?: number; unetHeads?: number }, mode: SessionMode): Promise<void> {
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  let placement: ReturnType<typeof placeModelForCheckpoint> | undefined;
  // The tiny fixture is small and lives in the repository: its weights go in memory, and nothing
  // is written beside it. Larger checkpoints get their .onnx placed beside them as the trainer does.
  if (!label.startsWith('tiny')) {
    try {
      placement = placeModelForCheckpoint(checkpointPath, { modelFileName: `bench-${label}.onnx`, cacheDir: join(tmpdir(), 'es-bench-cache') });
    } catch {
      placement = undefined; // read-only folder on another mount: weights in memory
    }
  }
  const { file, arch, g, weights, bytes } = buildLossModel(checkpointPath, placement?.dataLocation ?? basename(checkpointPath), heads, batch, latent, withGradient);
  const buildMs = performance.now() - t;
  const summary = summarizeGraph(g);
  t = performance.now();
  let cpu = process.cpuUsage();
  const session = await createBenchSession(bytes, weights, placement?.modelPath, mode);
  const createMs = performance.now() - t;
  const cpuSeconds = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1e6;
  };
  const createCpuS = cpuSeconds(cpu);
  const rssSession = process.memoryUsage().rss;
  const te = arch.textEncoder;
  const latentSize = batch * arch.unet.inChannels * latent * latent;
  const ids = new BigInt64Array(batch * te.positions).fill(49407n);
  for (let b = 0; b < batch; b++) ids[b * te.positions] = 49406n;
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 2;
  const feeds = textualInversionFeeds(arch, { batch, vectors, latentHeight: latent, latentWidth: latent }, {
    emb: Float32Array.from({ length: vectors * te.width }, () => 0.02 * random()),
    inputIds: ids,
    placeholderPositions: Array.from({ length: batch }, () => Array.from({ length: vectors }, (_, i) => 1 + i)),
    x0: Float32Array.from({ length: latentSize }, random),
    noise: Float32Array.from({ length: latentSize }, random),
    timesteps: Array.from({ length: batch }, (_, b) => 500 + b),
    alphasCumprod: sd1AlphasCumprod(),
  });
  const stepMs: number[] = [];
  const stepCpuS: number[] = [];
  let finite = true;
  let loss = NaN;
  for (let s = 0; s < steps; s++) {
    t = performance.now();
    cpu = process.cpuUsage();
    const out = await session.run(feeds);
    stepMs.push(performance.now() - t);
    stepCpuS.push(cpuSeconds(cpu));
    loss = (out.loss.data as Float32Array)[0];
    finite &&= Number.isFinite(loss) && (!out.grad || Array.from(out.grad.data as Float32Array).every(Number.isFinite));
  }
  await session.release();
  file.close();
  console.log(JSON.stringify({
    label, mode, withGradient, nodes: summary.nodeCount, buildMs, createMs, createCpuS, stepMs, stepCpuS, loss, finite,
    rssSessionGrowth: rssSession - rss0, maxRss: process.resourceUsage().maxRSS * 1024,
  }));
}

function runChild(args: string[]): Record<string, unknown> | string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').find((l) => l.startsWith('{'));
  return line ? JSON.parse(line) : `failed (exit ${r.status}, signal ${r.signal}): ${r.stderr.slice(-1500)}`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    const [, , , path, label, gradFlag, batch, latent, steps, headsJson, mode] = process.argv;
    return child(path, label, gradFlag === 'grad', Number(batch), Number(latent), Number(steps), JSON.parse(headsJson), mode as SessionMode);
  }
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string' },
      latent: { type: 'string', default: '64' },
      batch: { type: 'string', default: '1' },
      steps: { type: 'string', default: '2' },
      // ORT defaults need ~20 GB at 64×64 (pre-packed weight copies, arena): opt in explicitly
      'with-default-session': { type: 'boolean', default: false },
    },
  });
  const latent = Number(values.latent);
  const batch = Number(values.batch);
  const steps = Number(values.steps);
  const dir = mkdtempSync(join(tmpdir(), 'es-sd-bench-'));
  try {
    let checkpoint = values.checkpoint;
    if (!checkpoint) {
      checkpoint = join(dir, 'sd15-random-fp16.safetensors');
      const t = performance.now();
      writeRandomCheckpoint(checkpoint, sd15CheckpointConfig, 1234);
      console.log(`generated ${checkpoint}: ${mib(statSync(checkpoint).size)} MiB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const tinyDir = join(__dirname, '../test/fixtures/sd1-tiny');
    const tinyHeads = existsSync(join(tinyDir, 'config.json')) ? headsFromFixtureConfig(require(join(tinyDir, 'config.json'))) : {};
    const rows: [string, Record<string, unknown> | string][] = [];
    const configs: [string, string, string, number, SessionMode][] = [
      ['sd15-ti-step', checkpoint, 'grad', latent, 'lean'],
      ['sd15-forward-only', checkpoint, 'forward', latent, 'lean'],
      ['tiny-ti-step', join(tinyDir, 'model.safetensors'), 'grad', 8, 'lean'],
    ];
    if (values['with-default-session']) configs.push(['sd15-ti-step-default', checkpoint, 'grad', latent, 'default']);
    for (const [label, path, gradFlag, size, mode] of configs) {
      const heads = label.startsWith('tiny') ? tinyHeads : {};
      rows.push([label, runChild([path, label, gradFlag, String(batch), String(size), String(steps), JSON.stringify(heads), mode])]);
      const r = rows[rows.length - 1][1];
      console.log(`${label}: ${typeof r === 'string' ? r : JSON.stringify(r)}`);
    }
    console.log('');
    console.log(`batch ${batch}, ${vectors} vectors, CLIP skip ${clipSkip}; latents ${latent}×${latent} (tiny: 8×8); ORT CPU, optimisation all; lean = prepacking off, CPU arena off`);
    // CPU seconds (all threads) do not grow when other processes compete for the cores; wall time does.
    console.log(`load average at start ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
    console.log('config             | nodes | build s | session s (cpu s) | step s (cpu s), each      | peak RSS MiB | session RSS growth MiB');
    for (const [label, r] of rows) {
      if (typeof r === 'string') {
        console.log(`${label.padEnd(19)}| ${r.split('\n')[0]}`);
        continue;
      }
      const steps = (r.stepMs as number[]).map((ms, i) => `${(ms / 1000).toFixed(2)} (${(r.stepCpuS as number[])[i].toFixed(1)})`).join(' / ');
      const create = `${((r.createMs as number) / 1000).toFixed(2)} (${(r.createCpuS as number).toFixed(1)})`;
      console.log(`${label.padEnd(19)}| ${String(r.nodes).padStart(5)} | ${((r.buildMs as number) / 1000).toFixed(2).padStart(7)} | ${create.padStart(17)} | ${steps.padEnd(25)} | ${mib(r.maxRss as number).padStart(12)} | ${mib(r.rssSessionGrowth as number).padStart(10)}${r.finite ? '' : '  NON-FINITE'}`);
    }
    const [ti, fwd, tiny] = rows.map(([, r]) => r);
    if (typeof ti !== 'string' && typeof fwd !== 'string') {
      const last = (r: Record<string, unknown>) => (r.stepMs as number[])[(r.stepMs as number[]).length - 1];
      const lastCpu = (r: Record<string, unknown>) => (r.stepCpuS as number[])[(r.stepCpuS as number[]).length - 1];
      console.log(`ratio TI step (loss + gradient) / forward-only loss, same model and run: ${(last(ti) / last(fwd)).toFixed(2)}× wall, ${(lastCpu(ti) / lastCpu(fwd)).toFixed(2)}× CPU`);
      if (typeof tiny !== 'string') console.log(`ratio full-size / tiny TI step: ${(last(ti) / last(tiny)).toFixed(0)}×; session creation ${((ti.createMs as number) / (tiny.createMs as number)).toFixed(1)}×`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'es-bench-cache'), { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
