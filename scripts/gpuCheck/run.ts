// The GPU check's run step, bundled by `scripts/gpu-check.sh prepare` to .gpu-check/app/gpu-check.js
// and started by `scripts/gpu-check.sh run` on the GPU machine (an NVIDIA H100/H200: no Node, no
// network; Node, ONNX Runtime and the Vulkan loader travel in the bundle). Within one deadline
// (8 minutes) it writes one JSON report, rewritten after every phase so that a phase that hangs
// or crashes still leaves the others:
//   machine    GPU (nvidia-smi), Vulkan drivers, ORT backends
//   adapter    the WebGPU adapter as `auto` sees it (named / timed probe), float16 support, the
//              compute-precision decision
//   verify-fixture on webgpu: float32 weights; fp16 weights (the fp16 fixture derived here);
//              the fp16 compute graph (reported "fp16 graph not built yet" until it exists)
//   sd15-step  an SD1.5-shaped 512² step with fp16 random weights (random-model --size sd15,
//              written here) on webgpu: setup, warm-up, median step time, peak GPU memory
//              (nvidia-smi memory.used sampled while it runs)
//   torch-step torch_ti_step.py --bench --device cuda --dtype float16 on the same GPU
//   training   the tiny fixture 20 steps on webgpu and on the CPU, compared
// `--rehearse` (here, on SwiftShader) runs every phase but substitutes what needs a real GPU:
// the SD1.5 512² step becomes the tiny random model at 64², and nvidia-smi/CUDA are reported absent.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { cpus, totalmem, release, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { adapterRunsFloat16, nameWebgpuAdapter, probeSlowdownLimit, timeProviderAgainstCpu } from '../../src/onnx/gpuAdapter';
import { loadOrt } from '../../src/onnx/ortModule';
import { searchVulkanDrivers } from '../../src/onnx/vulkanDrivers';
import { chooseComputePrecision, fp16ComputeGraphBuilt } from '../../src/train/computePrecision';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import type { BundleManifest } from './bundleLayout';
import { writeFloat16Checkpoint } from '../../src/sd/float16Checkpoint';
import { timeTrainingStep } from './stepTiming';

const reportName = 'gpu-check-report.json';
const logName = 'gpu-check.log';

/** What verify-fixture will take to run the fp16 compute graph once it exists (the fp16 graph's helper adds the flag). */
const fp16GraphVerifyArgs = ['--compute', 'float16'];

interface Phase {
  status: 'running' | 'pass' | 'fail' | 'error' | 'skipped' | 'not-built' | 'done';
  seconds?: number;
  [key: string]: unknown;
}

interface Report {
  kind: 'embedding-studio gpu-check report';
  version: 1;
  rehearsal: boolean;
  started: string;
  finished: string | null;
  deadlineSeconds: number;
  bundle: Partial<BundleManifest>;
  machine: Record<string, unknown>;
  phases: Record<string, Phase>;
  summary: Record<string, unknown>;
  /** What was not done, and why. */
  skipped: string[];
}

interface RunOptions {
  out: string;
  bundle: string;
  work: string;
  deadlineSeconds: number;
  rehearse: boolean;
  /** Only these phases (a second, shorter call after a failure); default all. */
  only?: readonly string[];
}

export const phaseNames = ['adapter', 'verify-fixture-float32', 'sd15-step', 'torch-step', 'training', 'verify-fixture-fp16-weights', 'verify-fixture-fp16-graph'] as const;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  timedOut: boolean;
}

const app = __dirname;
const cli = join(app, 'dist', 'cli.js');

function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

class GpuCheck {
  readonly report: Report;
  private readonly startedAt = performance.now();
  private readonly manifest: BundleManifest;
  private readonly repo: string;

  constructor(readonly o: RunOptions) {
    mkdirSync(o.out, { recursive: true });
    mkdirSync(o.work, { recursive: true });
    this.manifest = JSON.parse(readFileSync(join(o.bundle, 'manifest.json'), 'utf8')) as BundleManifest;
    this.repo = dirname(resolve(o.bundle));
    this.report = {
      kind: 'embedding-studio gpu-check report',
      version: 1,
      rehearsal: o.rehearse,
      started: new Date().toISOString(),
      finished: null,
      deadlineSeconds: o.deadlineSeconds,
      bundle: { commit: this.manifest.commit, created: this.manifest.created, nodeVersion: this.manifest.nodeVersion, onnxruntimeNode: this.manifest.onnxruntimeNode, sizes: this.manifest.sizes, notes: this.manifest.notes },
      machine: {},
      phases: {},
      summary: {},
      skipped: [],
    };
  }

  input(key: keyof BundleManifest['inputs']): string | undefined {
    const path = this.manifest.inputs[key];
    return path === undefined ? undefined : join(this.repo, path);
  }

  remainingSeconds(): number {
    return this.o.deadlineSeconds - (performance.now() - this.startedAt) / 1000;
  }

  save(): void {
    const path = join(this.o.out, reportName);
    writeFileSync(`${path}.tmp`, JSON.stringify(this.report, null, 2) + '\n');
    renameSync(`${path}.tmp`, path);
  }

  log(text: string): void {
    appendFileSync(join(this.o.out, logName), text.endsWith('\n') ? text : `${text}\n`);
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  skip(what: string, why: string): void {
    this.report.skipped.push(`${what}: ${why}`);
  }

  /** Runs a child with a time limit; its output goes to the log (and is returned). */
  child(label: string, command: string, args: string[], timeoutSeconds: number, env: NodeJS.ProcessEnv = process.env): Promise<ChildResult> {
    const started = performance.now();
    this.log(`\n== ${label} (limit ${Math.round(timeoutSeconds)} s): ${command} ${args.join(' ')}`);
    return new Promise((done) => {
      const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        appendFileSync(join(this.o.out, logName), c);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, Math.max(1, timeoutSeconds) * 1000);
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        const seconds = (performance.now() - started) / 1000;
        this.log(`-- ${label}: ${timedOut ? 'TIMED OUT' : `exit ${code ?? signal}`} after ${seconds.toFixed(1)} s`);
        done({ code, signal, stdout, stderr, seconds, timedOut });
      };
      child.on('error', (error) => {
        stderr += `\n${error.message}`;
        finish(null, null);
      });
      child.on('close', finish);
    });
  }

  /** A phase with a time budget: skipped when the deadline leaves less than `minimumSeconds`. */
  async phase(name: (typeof phaseNames)[number], budgetSeconds: number, minimumSeconds: number, body: (limit: number) => Promise<Phase>): Promise<Phase | undefined> {
    if (this.o.only && !this.o.only.includes(name)) {
      this.report.phases[name] = { status: 'skipped', reason: '--only left it out' };
      return undefined;
    }
    const left = this.remainingSeconds() - 10;
    if (left < minimumSeconds) {
      this.report.phases[name] = { status: 'skipped', reason: `deadline: ${Math.max(0, Math.round(left))} s left, the phase needs at least ${minimumSeconds} s` };
      this.skip(name, 'the deadline left too little time');
      this.save();
      return undefined;
    }
    const started = performance.now();
    this.report.phases[name] = { status: 'running' };
    this.save();
    let result: Phase;
    try {
      result = await body(Math.min(budgetSeconds, left));
    } catch (error) {
      result = { status: 'error', error: (error as Error).stack ?? String(error) };
    }
    result.seconds = Number(((performance.now() - started) / 1000).toFixed(1));
    this.report.phases[name] = result;
    this.save();
    return result;
  }
}

/** Samples nvidia-smi's memory.used (MiB, whole GPU) every 200 ms while something runs. */
class GpuMemorySampler {
  private peak = 0;
  private samples = 0;
  private readonly child;

  private constructor(readonly baselineMiB: number) {
    this.child = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-lms', '200'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child.stdout.on('data', (c: Buffer) => {
      for (const line of c.toString('utf8').split('\n')) {
        const v = Number(line.trim().split(',')[0]);
        if (line.trim() !== '' && Number.isFinite(v)) {
          this.samples++;
          this.peak = Math.max(this.peak, v);
        }
      }
    });
    this.child.on('error', () => undefined);
  }

  static start(): GpuMemorySampler | string {
    const now = spawnSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { encoding: 'utf8' });
    if (now.error || now.status !== 0) return `nvidia-smi is not available (${now.error?.message ?? `exit ${now.status}`}): no GPU memory figures`;
    return new GpuMemorySampler(Number(now.stdout.trim().split('\n')[0]));
  }

  stop(): { baselineMiB: number; peakMiB: number; peakAboveBaselineMiB: number; samples: number } {
    this.child.kill();
    return { baselineMiB: this.baselineMiB, peakMiB: this.peak, peakAboveBaselineMiB: Math.max(0, this.peak - this.baselineMiB), samples: this.samples };
  }
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const line = text.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** verify-fixture's table rows: `case output rel-L2 tol pass|FAIL`. */
function fixtureRows(stdout: string): { case: string; output: string; relL2: number; tolerance: number; pass: boolean }[] {
  return stdout
    .split('\n')
    .map((line) => /^(\S+)\s+(\S+(?: \(aux\))?)\s+(\S+)\s+(\S+)\s+(pass|FAIL)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ case: m[1], output: m[2], relL2: Number(m[3]), tolerance: Number(m[4]), pass: m[5] === 'pass' }));
}

async function verifyPhase(check: GpuCheck, limit: number, label: string, extra: string[]): Promise<Phase> {
  const fixture = check.input('fixture')!;
  const r = await check.child(label, process.execPath, [cli, 'verify-fixture', fixture, '--provider', 'webgpu', ...extra], limit);
  const rows = fixtureRows(r.stdout);
  const worst = rows.reduce<{ case: string; output: string; relL2: number; tolerance: number } | null>((w, row) => (!w || row.relL2 / row.tolerance > w.relL2 / w.tolerance ? row : w), null);
  return {
    status: r.timedOut ? 'error' : r.code === 0 ? 'pass' : r.code === 1 ? 'fail' : 'error',
    exitCode: r.code,
    timedOut: r.timedOut,
    rows,
    worstRelativeToTolerance: worst,
    providerNotes: r.stderr.split('\n').filter((l) => l.startsWith('  provider note: ')).map((l) => l.slice('  provider note: '.length)),
    placementWarnings: r.stderr.split('\n').filter((l) => l.includes('placement:')),
    stderrTail: tail(r.stderr, 15),
  };
}

async function machinePhase(check: GpuCheck): Promise<void> {
  const m = check.report.machine;
  m.hostname = hostname();
  m.kernel = release();
  m.cpus = cpus().length;
  m.cpuModel = cpus()[0]?.model;
  m.memoryGiB = Number((totalmem() / 2 ** 30).toFixed(1));
  m.node = process.version;
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total,memory.used', '--format=csv,noheader'], { encoding: 'utf8' });
  if (smi.error || smi.status !== 0) {
    m.gpu = null;
    check.skip('nvidia-smi', `not available (${smi.error?.message ?? smi.stderr.trim()}): no GPU name and no GPU memory figures`);
  } else {
    const [name, driver, total, used] = smi.stdout.trim().split('\n')[0].split(',').map((s) => s.trim());
    m.gpu = { name, driver, memoryTotal: total, memoryUsedAtStart: used };
  }
  const vulkaninfo = spawnSync('vulkaninfo', ['--summary'], { encoding: 'utf8' });
  m.vulkaninfo = vulkaninfo.error ? `not installed (${vulkaninfo.error.message})` : tail(vulkaninfo.stdout, 40);
  m.environment = Object.fromEntries(['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'LD_LIBRARY_PATH', 'XDG_RUNTIME_DIR'].map((k) => [k, process.env[k] ?? null]));
  check.save();
}

async function adapterPhase(check: GpuCheck, limit: number): Promise<Phase> {
  const r = await check.child('adapter', process.execPath, [join(app, 'gpu-check.js'), '--child', 'adapter'], limit);
  const result = lastJsonLine(r.stdout);
  if (!result) return { status: 'error', exitCode: r.code, stderrTail: tail(r.stderr) };
  return { status: 'done', ...result };
}

async function trainingPhase(check: GpuCheck, limit: number, steps: number): Promise<Phase> {
  const dataset = check.input('dataset')!;
  const fixture = check.input('fixture')!;
  const runs: Record<string, { events: Record<string, unknown>[]; seconds: number; code: number | null; stderrTail: string }> = {};
  for (const provider of ['webgpu', 'cpu']) {
    const out = join(check.o.work, `train-${provider}`);
    rmSync(out, { recursive: true, force: true });
    const args = [cli, 'train', '--model', join(fixture, 'model.safetensors'), '--data', dataset, '--tokenizer', check.input('vocabulary')!, '--text-heads', '4', '--unet-heads', '2',
      '--width', '64', '--height', '64', '--vectors', '2', '--seed', '11', '--steps', String(steps), '--save-every', '0', '--preview-every', '0', '--name', 'gpucheck', '--out', out, '--json', '--provider', provider];
    const r = await check.child(`train ${steps} steps on ${provider}`, process.execPath, args, provider === 'webgpu' ? limit * 0.7 : Math.max(30, limit * 0.3));
    runs[provider] = { events: r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>), seconds: r.seconds, code: r.code, stderrTail: tail(r.stderr, 10) };
    if (r.code !== 0) return { status: 'error', provider, exitCode: r.code, timedOut: r.timedOut, stderrTail: tail(r.stderr) };
  }
  const losses = (p: string) => runs[p].events.filter((e) => e.type === 'progress').map((e) => e.loss as number);
  const embedding = (p: string) => readEmbeddingFile(join(check.o.work, `train-${p}`, 'embeddings', 'gpucheck.safetensors')).vectors;
  const [g, c] = [losses('webgpu'), losses('cpu')];
  const lossDiff = g.reduce((w, l, i) => Math.max(w, Math.abs(l - c[i]) / Math.abs(c[i])), 0);
  const [eg, ec] = [embedding('webgpu'), embedding('cpu')];
  let num = 0;
  let den = 0;
  for (let i = 0; i < ec.length; i++) {
    num += (eg[i] - ec[i]) ** 2;
    den += ec[i] ** 2;
  }
  const embeddingRelL2 = Math.sqrt(num / den);
  const started = (p: string) => runs[p].events.find((e) => e.type === 'started') as Record<string, unknown> | undefined;
  const placement = runs.webgpu.events.filter((e) => e.type === 'log' && String(e.message).startsWith('node placement: ')).map((e) => e.message);
  const ok = g.length === steps && lossDiff <= 1e-4 && embeddingRelL2 <= 1e-4 && !placement.some((p) => String(p).includes('COMPUTE'));
  const speed = (p: string) => {
    const last = runs[p].events.filter((e) => e.type === 'progress').pop();
    return last ? last.stepsPerSecond : null;
  };
  return {
    status: ok ? 'pass' : 'fail',
    steps,
    tolerance: 1e-4,
    lossMaxRelativeDifference: lossDiff,
    embeddingRelL2,
    webgpu: { provider: started('webgpu')?.provider, providerNotes: started('webgpu')?.providerNotes, computePrecision: started('webgpu')?.computePrecision, seconds: runs.webgpu.seconds, stepsPerSecond: speed('webgpu') },
    cpu: { provider: started('cpu')?.provider, seconds: runs.cpu.seconds, stepsPerSecond: speed('cpu') },
    placement,
  };
}

async function stepPhase(check: GpuCheck, limit: number, sizes: { size: 'sd15' | 'tiny'; latent: number; textHeads: number; unetHeads: number; repeats: number }): Promise<Phase> {
  const model = join(check.o.work, `random-${sizes.size}-fp16.safetensors`);
  const made = await check.child(`random-model --size ${sizes.size}`, process.execPath, [cli, 'random-model', model, '--size', sizes.size, '--fp16', '--force'], limit * 0.45);
  if (made.code !== 0) return { status: 'error', stage: 'random-model', exitCode: made.code, timedOut: made.timedOut, stderrTail: tail(made.stderr) };
  const sampler = GpuMemorySampler.start();
  const r = await check.child(`${sizes.size} step on webgpu, ${sizes.latent * 8}² px`, process.execPath, [join(app, 'gpu-check.js'), '--child', 'step', '--checkpoint', model, '--latent', String(sizes.latent), '--text-heads', String(sizes.textHeads), '--unet-heads', String(sizes.unetHeads), '--repeats', String(sizes.repeats), '--cache', join(check.o.work, 'onnx')], Math.max(30, limit - made.seconds - 5));
  const memory = typeof sampler === 'string' ? sampler : sampler.stop();
  const timing = lastJsonLine(r.stdout);
  rmSync(model, { force: true });
  if (!timing) return { status: 'error', stage: 'step', exitCode: r.code, timedOut: r.timedOut, gpuMemory: memory, stderrTail: tail(r.stderr) };
  return { status: 'done', model: `random ${sizes.size} checkpoint, float16 weights`, imagePixels: sizes.latent * 8, randomModelSeconds: made.seconds, ...timing, gpuMemory: memory };
}

async function torchPhase(check: GpuCheck, limit: number, latent: number): Promise<Phase> {
  const script = check.input('torchScript');
  if (!script || !existsSync(script)) {
    check.skip('torch-step', 'torch_ti_step.py was not in ../shared/bench when the bundle was prepared');
    return { status: 'skipped', reason: 'torch_ti_step.py not in the bundle (../shared/bench was absent at prepare time)' };
  }
  const sampler = GpuMemorySampler.start();
  const r = await check.child('torch_ti_step.py --bench --device cuda --dtype float16', 'python3', [script, '--bench', '--device', 'cuda', '--dtype', 'float16', '--latent', String(latent), '--repeats', '3', '--vectors', '8'], limit, { ...process.env, PYTHONUNBUFFERED: '1' });
  const memory = typeof sampler === 'string' ? sampler : sampler.stop();
  const result = lastJsonLine(r.stdout);
  if (!result && check.o.rehearse) {
    check.skip('torch-step', 'rehearsal: needs PyTorch with a CUDA device (tried; see the phase\'s stderrTail)');
    return { status: 'skipped', reason: 'rehearsal: needs PyTorch with a CUDA device', exitCode: r.code, stderrTail: tail(r.stderr, 5) };
  }
  if (!result) return { status: 'error', exitCode: r.code, timedOut: r.timedOut, gpuMemory: memory, stderrTail: tail(r.stderr) };
  return { status: 'done', ...result, gpuMemory: memory };
}

async function runCheck(o: RunOptions): Promise<void> {
  const check = new GpuCheck(o);
  check.save();
  await machinePhase(check);
  await check.phase('adapter', 60, 10, (limit) => adapterPhase(check, limit));
  await check.phase('verify-fixture-float32', o.rehearse ? 600 : 120, 20, (limit) => verifyPhase(check, limit, 'verify-fixture float32 weights on webgpu', []));
  const step = o.rehearse ? { size: 'tiny' as const, latent: 8, textHeads: 4, unetHeads: 2, repeats: 1 } : { size: 'sd15' as const, latent: 64, textHeads: 12, unetHeads: 8, repeats: 3 };
  if (o.rehearse) check.skip('sd15-step', 'rehearsal: the tiny random model at 64² stands in for SD1.5 at 512² (SwiftShader would take hours and more memory than this machine lends)');
  await check.phase('sd15-step', o.rehearse ? 300 : 210, 45, (limit) => stepPhase(check, limit, step));
  await check.phase('torch-step', 120, 30, (limit) => torchPhase(check, limit, step.latent));
  await check.phase('training', o.rehearse ? 900 : 120, 30, (limit) => trainingPhase(check, limit, 20));
  await check.phase('verify-fixture-fp16-weights', o.rehearse ? 600 : 90, 20, async (limit) => {
    const derived = join(o.work, 'model-fp16.safetensors');
    const conversion = writeFloat16Checkpoint(join(check.input('fixture')!, 'model.safetensors'), derived);
    return { ...(await verifyPhase(check, limit, 'verify-fixture fp16 weights (float32 compute) on webgpu', ['--model', derived])), derivedFp16Fixture: conversion };
  });
  await check.phase('verify-fixture-fp16-graph', 90, 20, async (limit) => {
    if (!fp16ComputeGraphBuilt) return { status: 'not-built', note: 'fp16 graph not built yet (src/train/computePrecision.ts: fp16ComputeGraphBuilt is false)' };
    return verifyPhase(check, limit, 'verify-fixture fp16 compute graph on webgpu', ['--model', join(o.work, 'model-fp16.safetensors'), ...fp16GraphVerifyArgs]);
  });

  const s = check.report.phases['sd15-step'] as Record<string, unknown> | undefined;
  const t = check.report.phases['torch-step'] as Record<string, unknown> | undefined;
  const ours = typeof s?.medianSeconds === 'number' ? s.medianSeconds : null;
  const theirs = typeof t?.median_s === 'number' ? t.median_s : null;
  const memory = (p: Record<string, unknown> | undefined) => (typeof p?.gpuMemory === 'object' && p.gpuMemory !== null ? (p.gpuMemory as { peakAboveBaselineMiB?: number }).peakAboveBaselineMiB ?? null : null);
  check.report.summary = {
    webgpuStepSeconds: ours,
    torchStepSeconds: theirs,
    stepTimeRatio: ours !== null && theirs !== null ? Number((ours / theirs).toFixed(3)) : null,
    stepTimeGoal: '≤ 1.5× PyTorch (fp16 weights, SDPA)',
    webgpuPeakGpuMiB: memory(s),
    torchPeakGpuMiB: memory(t),
    torchMaxMemoryAllocatedMiB: typeof t?.peak_device_mb === 'number' ? t.peak_device_mb : null,
    memoryGoal: '≤ 6 GB (6144 MiB)',
    computePrecision: s?.computePrecision ?? null,
    phases: Object.fromEntries(Object.entries(check.report.phases).map(([k, v]) => [k, v.status])),
  };
  check.report.finished = new Date().toISOString();
  check.save();
  check.log(`\nreport: ${join(o.out, reportName)}\n${JSON.stringify(check.report.summary, null, 2)}`);
}

async function childMain(kind: string, values: Record<string, string | boolean | undefined>): Promise<void> {
  if (kind === 'adapter') {
    const ort = loadOrt();
    const out: Record<string, unknown> = { backends: ort.listSupportedBackends?.(), vulkanDrivers: searchVulkanDrivers(), named: nameWebgpuAdapter() ?? null };
    try {
      const probe = await timeProviderAgainstCpu('webgpu');
      out.timedProbe = { ...probe, limit: probeSlowdownLimit, autoWouldSkip: probe.slowdown > probeSlowdownLimit };
    } catch (error) {
      out.timedProbe = { error: (error as Error).message };
    }
    out.float16 = await adapterRunsFloat16('webgpu');
    out.precisionNow = await chooseComputePrecision('webgpu');
    out.precisionOnceFp16GraphBuilt = await chooseComputePrecision('webgpu', { fp16GraphBuilt: true });
    out.fp16ComputeGraphBuilt = fp16ComputeGraphBuilt;
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  if (kind === 'step') {
    const timing = await timeTrainingStep({
      checkpoint: String(values.checkpoint),
      latent: Number(values.latent),
      textHeads: Number(values['text-heads']),
      unetHeads: Number(values['unet-heads']),
      repeats: Number(values.repeats),
      provider: 'webgpu',
      cacheDir: String(values.cache),
    });
    process.stdout.write(JSON.stringify(timing) + '\n');
    return;
  }
  throw new Error(`unknown child ${kind}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      bundle: { type: 'string' },
      work: { type: 'string' },
      deadline: { type: 'string', default: '480' },
      rehearse: { type: 'boolean', default: false },
      only: { type: 'string' },
      child: { type: 'string' },
      checkpoint: { type: 'string' },
      latent: { type: 'string' },
      'text-heads': { type: 'string' },
      'unet-heads': { type: 'string' },
      repeats: { type: 'string' },
      cache: { type: 'string' },
    },
  });
  if (values.child) return childMain(values.child, values);
  if (!values.out || !values.bundle || !values.work) throw new Error('gpu-check.js --out DIR --bundle .gpu-check --work DIR [--deadline 480] [--rehearse]');
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((p) => !(phaseNames as readonly string[]).includes(p)) ?? [];
  if (unknown.length) throw new Error(`--only: unknown phase ${unknown.join(', ')}; the phases are ${phaseNames.join(', ')}`);
  await runCheck({ out: values.out, bundle: values.bundle, work: values.work, deadlineSeconds: Number(values.deadline), rehearse: values.rehearse ?? false, only });
}

main().catch((error) => {
  process.stderr.write(`gpu-check: ${(error as Error).stack}\n`);
  process.exitCode = 1;
});
