// A thin wrapper over onnxruntime-node's InferenceSession. ORT does not fall back from one
// execution provider to the next by itself, so `auto` tries each in turn and records why the
// others were skipped — including a GPU provider whose adapter is a CPU emulation (SwiftShader,
// lavapipe, WARP: see gpuAdapter.ts). On a GPU provider the first run is profiled to learn where
// ORT placed each node (nodePlacement.ts). onnxruntime-node is loaded lazily: importing this
// module is cheap and safe in processes that never create a session.
import type * as Ort from 'onnxruntime-node';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DType, TensorData } from './dtype';
import { assessAdapter, type AdapterAssessment } from './gpuAdapter';
import { nodePlacementReport, ortProviderNames, placedNodesFromProfile, type NodePlacementReport } from './nodePlacement';
import { conciseOrtMessage, loadOrt } from './ortModule';

export type ProviderChoice = 'auto' | 'cuda' | 'dml' | 'webgpu' | 'cpu';
export type ExecutionProvider = Exclude<ProviderChoice, 'auto'>;

export interface SessionOptions {
  provider?: ProviderChoice;
  /** CUDA / DirectML device index. */
  deviceId?: number;
  intraOpThreads?: number;
  interOpThreads?: number;
  /** Default 'all': keeps ORT's fusions and constant folding on. */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Keeps constant MatMul/Conv weights memory-mapped instead of pre-packed copies (less RAM, maybe slower). */
  disablePrepacking?: boolean;
  /** Turns ORT's CPU memory arena off: peak memory of a full-size SD1.5 step falls by gigabytes, at some speed cost. */
  disableCpuMemArena?: boolean;
  /** For a model given as bytes: external files held in memory ({ path: location in the model, data }). */
  externalData?: { path: string; data: Uint8Array }[];
  /** ORT log severity, 0 verbose .. 4 fatal. Default 3 (errors). */
  logSeverity?: 0 | 1 | 2 | 3 | 4;
  /** Names the session in placement reports (default: the model file's name, or 'model'). */
  label?: string;
  /** Called once, after the first run on a GPU provider, with where ORT placed each node. */
  onNodePlacement?: (report: NodePlacementReport) => void;
  /** Default true on GPU providers: profile the first run to learn the node placement. */
  reportNodePlacement?: boolean;
  /** WebGPU only, for diagnosis: run these nodes on the CPU (ORT's forceCpuNodeNames). */
  webgpuCpuNodes?: readonly string[];
}

export interface HostTensor {
  dtype: DType;
  shape: readonly number[];
  data: TensorData;
}

export interface Session {
  /** The provider the session really runs on. */
  readonly provider: ExecutionProvider;
  /** One line per provider tried and skipped, with the reason; and a warning when an explicit GPU provider runs on a software adapter. */
  readonly providerNotes: readonly string[];
  /** WebGPU and DirectML: what the adapter is, as far as it could be told (how: `adapter.method`). */
  readonly adapter: AdapterAssessment | undefined;
  /** After the first run on a GPU provider: where ORT placed each node. Undefined before it, and on the CPU. */
  readonly nodePlacement: NodePlacementReport | undefined;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model; `fetches` limits the outputs returned (default: all). Blocks the JS thread while ORT works. */
  run(feeds: Record<string, HostTensor>, fetches?: readonly string[]): Promise<Record<string, HostTensor>>;
  release(): Promise<void>;
}

const ortTypeOf: Record<DType, Ort.Tensor.Type> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int64: 'int64',
  int32: 'int32',
  bool: 'bool',
};

/** Provider order tried by `auto`. DirectML only ships in the Windows package. */
export function providerCandidates(choice: ProviderChoice, platform: NodeJS.Platform = process.platform): ExecutionProvider[] {
  if (choice !== 'auto') return [choice];
  return platform === 'win32' ? ['cuda', 'dml', 'webgpu', 'cpu'] : ['cuda', 'webgpu', 'cpu'];
}

export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<Session> {
  const ort = loadOrt();
  const notes: string[] = [];
  const choice = options.provider ?? 'auto';
  const candidates = providerCandidates(choice);
  const backends = new Set(ort.listSupportedBackends?.().map((b) => b.name) ?? []);
  for (const provider of candidates) {
    if (provider !== 'cpu' && backends.size > 0 && !backends.has(provider)) {
      notes.push(`${provider}: not in this onnxruntime-node build (listSupportedBackends: ${[...backends].join(', ')})`);
      continue;
    }
    const missing = missingProviderLibrary(provider);
    if (missing) {
      notes.push(missing);
      continue;
    }
    const adapter = provider === 'webgpu' || provider === 'dml' ? await assessAdapter(provider, { deviceId: options.deviceId }) : undefined;
    if (adapter && choice === 'auto') {
      if (!adapter.available) {
        notes.push(`${provider}: ${adapter.detail}`);
        continue;
      }
      if (adapter.software) {
        notes.push(`${provider}: software adapter${adapter.name ? ` ${adapter.name}` : ''} skipped — ${adapter.detail} (found by ${identificationLabels[adapter.method]}); choose the ${provider} provider explicitly to use it anyway`);
        continue;
      }
    }
    const profileDir = provider !== 'cpu' && options.reportNodePlacement !== false ? mkdtempSync(join(tmpdir(), 'embedding-studio-placement-')) : undefined;
    try {
      const session = await ort.InferenceSession.create(model as never, ortSessionOptions(provider, options, profileDir && join(profileDir, 'profile')));
      if (adapter?.software) {
        notes.push(`${provider}: WARNING — runs on the software adapter${adapter.name ? ` ${adapter.name}` : ''}: ${adapter.detail}; expect it to be many times slower than the cpu provider`);
      }
      return wrap(ort, session, provider, notes, adapter, model, options, profileDir);
    } catch (error) {
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
      const message = conciseOrtMessage((error as Error).message) + (adapter && !adapter.available ? ` — ${adapter.detail}` : '');
      if (provider === 'cpu' || candidates.length === 1) {
        const tried = notes.length ? ` (also tried: ${notes.join('; ')})` : '';
        throw new Error(`could not create an ONNX Runtime session for ${describeModel(model)} on ${provider}: ${message}${tried}`);
      }
      notes.push(`${provider}: ${message}`);
    }
  }
  throw new Error(`no execution provider worked for ${describeModel(model)}: ${notes.join('; ')}`);
}

const identificationLabels: Record<AdapterAssessment['method'], string> = {
  'vulkan-driver-manifests': 'the Vulkan driver manifests',
  platform: 'the platform',
  'timed-probe': 'a timed probe against the CPU provider',
};

/** CUDA needs provider libraries that the default npm install does not fetch; checking first avoids ORT's noisy load failure. */
function missingProviderLibrary(provider: ExecutionProvider): string | undefined {
  if (provider !== 'cuda') return undefined;
  let binDir: string;
  try {
    binDir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
  const file = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (existsSync(join(binDir, file))) return undefined;
  return `cuda: ${file} is not installed in ${binDir} (Linux: run \`embedding-studio install-cuda\`, in VS Code *Embedding Studio: Install CUDA Provider*; it needs the NVIDIA driver, CUDA 12 and cuDNN 9)`;
}

function describeModel(model: string | Uint8Array): string {
  return typeof model === 'string' ? model : `an in-memory model of ${model.byteLength} bytes`;
}

function ortSessionOptions(provider: ExecutionProvider, options: SessionOptions, profilePrefix?: string): Ort.InferenceSession.SessionOptions {
  const ep: Ort.InferenceSession.ExecutionProviderConfig =
    provider === 'cuda' ? { name: 'cuda', deviceId: options.deviceId ?? 0 }
    : provider === 'dml' ? { name: 'dml', deviceId: options.deviceId ?? 0 }
    : provider === 'webgpu' && options.webgpuCpuNodes?.length ? { name: 'webgpu', forceCpuNodeNames: [...options.webgpuCpuNodes] }
    : provider;
  const result: Ort.InferenceSession.SessionOptions = {
    executionProviders: [ep],
    graphOptimizationLevel: options.graphOptimization ?? 'all',
    logSeverityLevel: options.logSeverity ?? 3,
  };
  if (options.intraOpThreads !== undefined) result.intraOpNumThreads = options.intraOpThreads;
  if (options.interOpThreads !== undefined) result.interOpNumThreads = options.interOpThreads;
  if (options.disablePrepacking) result.extra = { session: { disable_prepacking: '1' } };
  if (options.disableCpuMemArena) result.enableCpuMemArena = false;
  if (options.externalData) result.externalData = options.externalData;
  if (profilePrefix) {
    result.enableProfiling = true;
    result.profileFilePrefix = profilePrefix;
  }
  return result;
}

/** Ends the profiling of the first run and reads the placement from the profile ORT wrote. */
function readNodePlacement(session: Ort.InferenceSession, profileDir: string, label: string, provider: ExecutionProvider): NodePlacementReport {
  try {
    session.endProfiling();
    const file = readdirSync(profileDir).find((f) => f.endsWith('.json'));
    if (!file) throw new Error(`ONNX Runtime wrote no profile into ${profileDir}`);
    const nodes = placedNodesFromProfile(JSON.parse(readFileSync(join(profileDir, file), 'utf8')));
    return nodePlacementReport(label, ortProviderNames[provider], nodes);
  } finally {
    rmSync(profileDir, { recursive: true, force: true });
  }
}

function wrap(
  ort: typeof Ort,
  session: Ort.InferenceSession,
  provider: ExecutionProvider,
  notes: string[],
  adapter: AdapterAssessment | undefined,
  model: string | Uint8Array,
  options: SessionOptions,
  profileDir?: string,
): Session {
  let placement: NodePlacementReport | undefined;
  let pendingProfile = profileDir;
  const label = options.label ?? (typeof model === 'string' ? basename(model) : 'model');
  return {
    provider,
    providerNotes: notes,
    adapter,
    get nodePlacement() {
      return placement;
    },
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetches) {
      const ortFeeds: Record<string, Ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        ortFeeds[name] = new ort.Tensor(ortTypeOf[t.dtype], t.data as never, [...t.shape]);
      }
      const results = fetches ? await session.run(ortFeeds, [...fetches]) : await session.run(ortFeeds);
      if (pendingProfile) {
        const dir = pendingProfile;
        pendingProfile = undefined;
        placement = readNodePlacement(session, dir, label, provider);
        options.onNodePlacement?.(placement);
      }
      const out: Record<string, HostTensor> = {};
      for (const [name, t] of Object.entries(results)) {
        out[name] = { dtype: t.type as DType, shape: [...t.dims], data: t.data as TensorData };
      }
      return out;
    },
    async release() {
      if (pendingProfile) rmSync(pendingProfile, { recursive: true, force: true });
      pendingProfile = undefined;
      await session.release();
    },
  };
}
