// Training on the WebGPU provider through SwiftShader, as a user runs it (the CLI, a real
// process): a seeded run equals the CPU run — the VAE latents, every step's loss, the embedding,
// the preview images — and no compute node of the VAE encoder, the TI step or the preview graphs
// runs on the CPU (the run log's node placement). With SwiftShader the only Vulkan driver, `auto`
// trains on the CPU and says why. Dawn's stderr chatter goes to the run's trainer.log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { parseTrainerEvent, type TrainerEvent } from '../../src/protocol/trainerMessages';
import { openSafetensors } from '../../src/sd/safetensors';
import { readEmbeddingFile } from '../../src/train/embeddingFile';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { softwareVulkan } from '../onnx/softwareVulkan';
import { clipVocabulary, fixtureHeads, fixtureModel } from '../sd/fixtureFiles';
import { relL2 } from '../sd/sd1TinyFixture';

const repo = join(__dirname, '../..');
const vulkan = softwareVulkan();
after(() => {
  if (typeof vulkan !== 'string') vulkan.cleanup();
});
const skip = typeof vulkan === 'string' ? vulkan : false;
const root = mkdtempSync(join(tmpdir(), 'es-webgpu-train-'));
const data = join(root, 'data');

before(async () => {
  await writeDemoDataset(data, 3, 64, 9);
});
after(() => rmSync(root, { recursive: true, force: true }));

const tiny = ['--model', fixtureModel, '--data', data, '--tokenizer', clipVocabulary, '--text-heads', String(fixtureHeads.text), '--unet-heads', String(fixtureHeads.unet), '--width', '64', '--height', '64', '--vectors', '2', '--seed', '11', '--save-every', '0'];

function train(env: NodeJS.ProcessEnv, out: string, ...args: string[]): { code: number | null; events: TrainerEvent[]; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), 'train', ...tiny, '--name', 'gpu', '--out', out, '--json', ...args], { cwd: repo, env, encoding: 'utf8', timeout: 900_000 });
  const events = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((line) => parseTrainerEvent(JSON.parse(line)));
  return { code: r.status, events, stderr: r.stderr };
}

const of = <T extends TrainerEvent['type']>(events: TrainerEvent[], type: T) => events.filter((e): e is Extract<TrainerEvent, { type: T }> => e.type === type);

async function rgb(path: string): Promise<Buffer> {
  return (await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true })).data;
}

test('a seeded run on WebGPU equals the CPU run, and its VAE, TI-step and preview graphs run no compute node on the CPU', { skip }, async (t) => {
  if (typeof vulkan === 'string') return;
  const run = ['--steps', '3', '--preview-every', '3', '--preview-steps', '2', '--sampler', 'ddim'];
  const cpuOut = join(root, 'cpu');
  const gpuOut = join(root, 'webgpu');
  const cpu = train(vulkan.env, cpuOut, ...run, '--provider', 'cpu');
  assert.equal(cpu.code, 0, cpu.stderr);
  const gpu = train(vulkan.env, gpuOut, ...run, '--provider', 'webgpu');
  assert.equal(gpu.code, 0, gpu.stderr);

  const started = of(gpu.events, 'started')[0];
  assert.equal(started.provider, 'webgpu');
  assert.match(started.providerNotes.join('\n'), /webgpu: WARNING — runs on the software adapter SwiftShader/);
  assert.ok(of(gpu.events, 'log').some((l) => l.level === 'warning' && l.message.startsWith('webgpu: WARNING — runs on the software adapter SwiftShader')), 'the warning is also a warning in the run log');
  assert.equal(started.computePrecision?.precision, 'float32');
  assert.match(started.computePrecision!.reason, /no shader-f16/);

  // the VAE latents (encoded on each provider), every loss, the trained vectors: within 1e-4
  // relative, the bound for a seeded run (the VAE's float32 sums differ by ~1.3e-5 here)
  const latents = (dir: string) => openSafetensors(join(dir, 'latents-64x64.safetensors'));
  const [a, b] = [latents(cpuOut), latents(gpuOut)];
  try {
    for (const name of a.tensors.keys()) assert.ok(relL2(b.readFloat32(name), a.readFloat32(name)) <= 1e-4, `latent ${name}: ${relL2(b.readFloat32(name), a.readFloat32(name))}`);
  } finally {
    a.close();
    b.close();
  }
  const losses = (events: TrainerEvent[]) => of(events, 'progress').map((p) => p.loss!);
  assert.equal(losses(gpu.events).length, 3);
  losses(gpu.events).forEach((loss, i) => {
    const reference = losses(cpu.events)[i];
    assert.ok(Math.abs(loss - reference) <= 1e-4 * Math.abs(reference), `step ${i + 1}: loss ${loss} on webgpu, ${reference} on cpu`);
  });
  const embedding = (dir: string) => readEmbeddingFile(join(dir, 'embeddings', 'gpu.safetensors')).vectors;
  const difference = relL2(embedding(gpuOut), embedding(cpuOut));
  assert.ok(difference <= 1e-4, `embedding rel-L2 ${difference}`);
  t.diagnostic(`webgpu vs cpu: embedding rel-L2 ${difference.toExponential(2)}, loss relative differences ${losses(gpu.events).map((l, i) => Math.abs(l / losses(cpu.events)[i] - 1).toExponential(1)).join(' ')}`);
  // the previews, pixel by pixel (8-bit rounding may differ by one)
  const previews = of(gpu.events, 'preview');
  assert.equal(previews.length, 2);
  for (const p of previews) {
    const [x, y] = [await rgb(p.path), await rgb(p.path.replace(gpuOut, cpuOut))];
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
    assert.ok(worst <= 2, `${p.path}: a pixel differs by ${worst}/255 from the CPU's preview`);
  }

  // node placement, from the run log: every graph's nodes on WebGPU but shape arithmetic
  const placements = of(gpu.events, 'log').filter((l) => l.message.startsWith('node placement: '));
  for (const graph of ['vae-encode-64x64', 'ti-step-1x8x8', 'preview-text-2', 'preview-unet-8x8', 'preview-vae-decode-8x8']) {
    const line = placements.find((l) => l.message.includes(`.${graph}.onnx: `));
    assert.ok(line, `no placement line for ${graph} in:\n${placements.map((l) => l.message).join('\n')}`);
    assert.equal(line.level, 'info', line.message);
    assert.doesNotMatch(line.message, /COMPUTE/);
    assert.match(line.message, /: (\d+) of \d+ nodes on WebGpuExecutionProvider/);
  }
  assert.equal(of(cpu.events, 'log').filter((l) => l.message.startsWith('node placement: ')).length, 0, 'the CPU provider needs no placement report');
});

test('auto, with SwiftShader the only Vulkan driver, trains on the CPU and says it skipped the software adapter', { skip }, () => {
  if (typeof vulkan === 'string') return;
  const r = train(vulkan.env, join(root, 'auto'), '--steps', '1', '--preview-every', '0', '--provider', 'auto');
  assert.equal(r.code, 0, r.stderr);
  const started = of(r.events, 'started')[0];
  assert.equal(started.provider, 'cpu');
  assert.match(started.providerNotes.join('\n'), /^webgpu: software adapter SwiftShader skipped — the only Vulkan driver is SwiftShader \(.*\), a CPU emulation of a GPU \(found by the Vulkan driver manifests\)/m);
});

test('no Vulkan driver: train --provider webgpu fails with the reason; Dawn\'s warnings are in trainer.log, not on the console', { skip }, () => {
  if (typeof vulkan === 'string') return;
  const none = join(vulkan.root, 'no-such-driver.json');
  const out = join(root, 'nodriver');
  const r = train({ ...vulkan.env, VK_ICD_FILENAMES: none, VK_DRIVER_FILES: none }, out, '--steps', '1', '--preview-every', '0', '--provider', 'webgpu');
  assert.equal(r.code, 1, r.stderr);
  assert.match(of(r.events, 'error')[0].message, /on webgpu: Failed to get a WebGPU adapter.* — no Vulkan driver is installed/);
  assert.doesNotMatch(r.stderr, /^(Warning: |    at .*dawn)/m);
  assert.match(r.stderr, /GPU driver messages? hidden: kept in .*trainer\.log/);
  const log = join(out, 'trainer.log');
  assert.ok(existsSync(log));
  assert.match(readFileSync(log, 'utf8'), /^Warning: /m);
});
