// A thin wrapper over onnxruntime-node's InferenceSession. ORT does not fall back from one
// execution provider to the next by itself, so `auto` tries each in turn and records why the
// others were skipped. onnxruntime-node is loaded lazily: importing this module is cheap and
// safe in processes that never create a session.
import type * as Ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DType, TensorData } from './dtype';

export type ProviderChoice = 'auto' | 'cuda' | 'dml' | 'webgpu' | 'cpu';

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
}

export interface HostTensor {
  dtype: DType;
  shape: readonly number[];
  data: TensorData;
}

export interface Session {
  /** The provider the session really runs on. */
  readonly provider: Exclude<ProviderChoice, 'auto'>;
  /** One line per provider tried and skipped, with ORT's reason. */
  readonly providerNotes: readonly string[];
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

let ortModule: typeof Ort | undefined;
function loadOrt(): typeof Ort {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ortModule ??= require('onnxruntime-node') as typeof Ort;
  return ortModule;
}

/** Provider order tried by `auto`. DirectML only ships in the Windows package. */
export function providerCandidates(choice: ProviderChoice, platform: NodeJS.Platform = process.platform): Exclude<ProviderChoice, 'auto'>[] {
  if (choice !== 'auto') return [choice];
  return platform === 'win32' ? ['cuda', 'dml', 'webgpu', 'cpu'] : ['cuda', 'webgpu', 'cpu'];
}

export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<Session> {
  const ort = loadOrt();
  const notes: string[] = [];
  const candidates = providerCandidates(options.provider ?? 'auto');
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
    try {
      const session = await ort.InferenceSession.create(model as never, ortSessionOptions(provider, options));
      return wrap(ort, session, provider, notes);
    } catch (error) {
      const message = conciseOrtMessage((error as Error).message);
      if (provider === 'cpu' || candidates.length === 1) {
        const tried = notes.length ? ` (also tried: ${notes.join('; ')})` : '';
        throw new Error(`could not create an ONNX Runtime session for ${describeModel(model)} on ${provider}: ${message}${tried}`);
      }
      notes.push(`${provider}: ${message}`);
    }
  }
  throw new Error(`no execution provider worked for ${describeModel(model)}: ${notes.join('; ')}`);
}

/** CUDA needs provider libraries that the default npm install does not fetch; checking first avoids ORT's noisy load failure. */
function missingProviderLibrary(provider: Exclude<ProviderChoice, 'auto'>): string | undefined {
  if (provider !== 'cuda') return undefined;
  let binDir: string;
  try {
    binDir = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
  const file = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  if (existsSync(join(binDir, file))) return undefined;
  return `cuda: ${file} is not installed in ${binDir} (Linux: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js; needs CUDA 12 and cuDNN 9)`;
}

/** ORT's messages start with a source location and a failed check; keep what a user can act on. */
function conciseOrtMessage(message: string): string {
  const first = message.split('\n')[0];
  const check = first.lastIndexOf(' was false. ');
  return check >= 0 ? first.slice(check + ' was false. '.length) : first;
}

function describeModel(model: string | Uint8Array): string {
  return typeof model === 'string' ? model : `an in-memory model of ${model.byteLength} bytes`;
}

function ortSessionOptions(provider: Exclude<ProviderChoice, 'auto'>, options: SessionOptions): Ort.InferenceSession.SessionOptions {
  const ep: Ort.InferenceSession.ExecutionProviderConfig =
    provider === 'cuda' ? { name: 'cuda', deviceId: options.deviceId ?? 0 }
    : provider === 'dml' ? { name: 'dml', deviceId: options.deviceId ?? 0 }
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
  return result;
}

function wrap(ort: typeof Ort, session: Ort.InferenceSession, provider: Exclude<ProviderChoice, 'auto'>, notes: string[]): Session {
  return {
    provider,
    providerNotes: notes,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, fetches) {
      const ortFeeds: Record<string, Ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        ortFeeds[name] = new ort.Tensor(ortTypeOf[t.dtype], t.data as never, [...t.shape]);
      }
      const results = fetches ? await session.run(ortFeeds, [...fetches]) : await session.run(ortFeeds);
      const out: Record<string, HostTensor> = {};
      for (const [name, t] of Object.entries(results)) {
        out[name] = { dtype: t.type as DType, shape: [...t.dims], data: t.data as TensorData };
      }
      return out;
    },
    release: () => session.release(),
  };
}
