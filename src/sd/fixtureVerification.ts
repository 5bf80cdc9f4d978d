// Runs a reference-fixture folder (the format of the repository's test/fixtures/sd1-tiny: cases.json,
// cases.safetensors, the model files, config.json for head counts) through our graphs on an ONNX
// Runtime provider (the CPU by default) and compares every output with the reference by relative
// L2 error. The tolerances are the same on every provider.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { Graph, serializeModel, type HostTensor, type NodePlacementReport, type ProviderChoice, type Session, type SessionOptions } from '../onnx';
import { headsFromFixtureConfig, inferSd1Architecture, type Sd1Architecture } from './architecture';
import { clipTextHidden, clipTokenEmbeddings, injectionMatrix } from './clipTextGraph';
import { sd1AlphasCumprod } from './noiseSchedule';
import { openSafetensors, type SafetensorsFile } from './safetensors';
import { buildTextualInversionLossGraph, textualInversionFeeds, textualInversionOutputs } from './textualInversionLossGraph';
import { timestepFeatures, unetEps } from './unetGraph';
import { vaeDecode, vaeEncode } from './vaeGraph';
import { CheckpointWeights, createWeightedSession } from './weights';

/** Tolerances fixed by the fixture contract (README of sd1-tiny). */
export const fixtureTolerances = { forward: 1e-5, textualInversion: 5e-5, fp16Weights: 1e-2 } as const;

export interface FixtureRow {
  case: string;
  output: string;
  /** Intermediate tensor (aux_outputs), reported to locate a mismatch. */
  aux: boolean;
  relL2: number;
  tolerance: number;
  pass: boolean;
}

export interface FixtureCase {
  name: string;
  inputs: string[];
  outputs: string[];
  aux_outputs?: string[];
  params?: Record<string, unknown>;
}

interface CasesFile {
  model?: string;
  model_fp16?: string;
  tensors_file?: string;
  ti_placeholder_token_id?: number;
  cases: FixtureCase[];
}

/** ||y - ref|| / ||ref|| (for one element: the relative absolute error). */
export function relativeL2(y: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (y.length !== reference.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    const d = y[i] - reference[i];
    num += d * d;
    den += reference[i] * reference[i];
  }
  if (Number.isNaN(num)) return Infinity;
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

export interface VerifyFixtureOptions {
  /** Model file: a name inside the fixture folder or a path. Default: cases.json `model`. */
  model?: string;
  /** Called as each row is ready (the CLI prints it). */
  onRow?: (row: FixtureRow) => void;
  /** Only the cases with these names. */
  cases?: readonly string[];
  /** The execution provider every graph runs on (default 'cpu'). An explicit GPU provider never falls back. */
  provider?: ProviderChoice;
  /** After each case's first run on a GPU provider: where ORT placed its nodes. */
  onNodePlacement?: (report: NodePlacementReport) => void;
  /** Each session once created: the provider it got and why others were skipped. */
  onSession?: (caseName: string, session: Pick<Session, 'provider' | 'providerNotes' | 'adapter'>) => void;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read it as JSON (${(error as Error).message}) — is this a fixture folder?`);
  }
}

function suffix(tensorName: string): string {
  return tensorName.slice(tensorName.indexOf('.') + 1);
}

class CaseTensors {
  constructor(readonly file: SafetensorsFile) {}

  has(name: string): boolean {
    return this.file.tensors.has(name);
  }

  shape(name: string): number[] {
    const info = this.file.tensors.get(name);
    if (!info) throw new Error(`${this.file.path}: tensor \`${name}\` named in cases.json is missing.`);
    return info.shape;
  }

  float(name: string): HostTensor {
    return { dtype: 'float32', shape: this.shape(name), data: this.file.readFloat32(name) };
  }

  ints(name: string): BigInt64Array {
    const info = this.file.tensors.get(name);
    if (!info || info.dtype !== 'I64') throw new Error(`${this.file.path}: tensor \`${name}\` must be I64.`);
    const raw = this.file.readRaw(name);
    const out = new BigInt64Array(raw.length / 8);
    new Uint8Array(out.buffer).set(raw);
    return out;
  }
}

/** Placeholder positions per row: where the placeholder id sits, else positions 1..n (A1111's first tokens). */
export function placeholderPositions(ids: BigInt64Array, rows: number, length: number, vectors: number, placeholderId: number): number[][] {
  const out: number[][] = [];
  for (let b = 0; b < rows; b++) {
    const found: number[] = [];
    for (let p = 1; p < length; p++) if (ids[b * length + p] === BigInt(placeholderId)) found.push(p);
    out.push(found.length === vectors ? found : Array.from({ length: vectors }, (_, i) => 1 + i));
  }
  return out;
}

function clipSkipOf(output: string): number {
  if (output === 'hidden_last') return 1;
  if (output === 'hidden_penultimate') return 2;
  const m = /^hidden_skip(\d+)$/.exec(output);
  if (m) return Number(m[1]);
  throw new Error(`text encoder output \`${output}\` is unknown (hidden_last, hidden_penultimate or hidden_skipN).`);
}

function sessionOptions(caseName: string, options: VerifyFixtureOptions): SessionOptions {
  return { provider: options.provider ?? 'cpu', label: caseName, onNodePlacement: options.onNodePlacement };
}

async function runGraph(g: Graph, weights: CheckpointWeights, feeds: Record<string, HostTensor>, caseName: string, options: VerifyFixtureOptions): Promise<Record<string, HostTensor>> {
  const session: Session = await createWeightedSession(serializeModel(g), weights, { inMemory: true, session: sessionOptions(caseName, options) });
  options.onSession?.(caseName, session);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

export async function verifyFixture(dir: string, options: VerifyFixtureOptions = {}): Promise<FixtureRow[]> {
  const casesPath = join(dir, 'cases.json');
  if (!existsSync(casesPath)) throw new Error(`${dir}: no cases.json — give a fixture folder like test/fixtures/sd1-tiny in the Embedding Studio repository.`);
  const cases = readJson(casesPath) as CasesFile;
  if (!Array.isArray(cases.cases)) throw new Error(`${casesPath}: no \`cases\` list.`);
  const configPath = join(dir, 'config.json');
  const config = (existsSync(configPath) ? readJson(configPath) : {}) as { ddpm?: { linear_start?: unknown; linear_end?: unknown; timesteps?: unknown } };
  const heads = headsFromFixtureConfig(config);
  const ddpm = config.ddpm ?? {};
  const number = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const alphasCumprod = sd1AlphasCumprod({ linearStart: number(ddpm.linear_start), linearEnd: number(ddpm.linear_end), timesteps: number(ddpm.timesteps) });
  const modelName = options.model ?? cases.model ?? 'model.safetensors';
  const modelPath = isAbsolute(modelName) || existsSync(modelName) && !existsSync(join(dir, modelName)) ? modelName : join(dir, modelName);
  const model = openSafetensors(modelPath);
  const tensors = new CaseTensors(openSafetensors(join(dir, cases.tensors_file ?? 'cases.safetensors')));
  const rows: FixtureRow[] = [];
  try {
    const arch = inferSd1Architecture(model, heads);
    const fp16 = [...model.tensors.values()].some((t) => t.dtype === 'F16' || t.dtype === 'BF16');
    for (const fixtureCase of cases.cases) {
      if (options.cases && !options.cases.includes(fixtureCase.name)) continue;
      const isTi = fixtureCase.inputs.some((n) => suffix(n) === 'x0');
      const tolerance = fp16 ? fixtureTolerances.fp16Weights : isTi ? fixtureTolerances.textualInversion : fixtureTolerances.forward;
      const results = await runCase(fixtureCase, model, arch, tensors, cases.ti_placeholder_token_id ?? 0, alphasCumprod, options);
      const report = (names: readonly string[], aux: boolean) => {
        for (const name of names) {
          const got = results[suffix(name)];
          const reference = tensors.float(name).data as Float32Array;
          const relL2 = got ? relativeL2(got.data as Float32Array, reference) : Infinity;
          const row = { case: fixtureCase.name, output: suffix(name), aux, relL2, tolerance, pass: relL2 <= tolerance };
          rows.push(row);
          options.onRow?.(row);
        }
      };
      report(fixtureCase.outputs, false);
      report(fixtureCase.aux_outputs ?? [], true);
    }
  } finally {
    model.close();
    tensors.file.close();
  }
  return rows;
}

async function runCase(
  fixtureCase: FixtureCase,
  model: SafetensorsFile,
  arch: Sd1Architecture,
  tensors: CaseTensors,
  placeholderId: number,
  alphasCumprod: Float64Array,
  options: VerifyFixtureOptions,
): Promise<Record<string, HostTensor>> {
  const input = (short: string) => {
    const name = fixtureCase.inputs.find((n) => suffix(n) === short);
    if (!name) throw new Error(`case ${fixtureCase.name}: input \`${short}\` is missing from cases.json.`);
    return name;
  };
  const has = (short: string) => fixtureCase.inputs.some((n) => suffix(n) === short);
  const outputs = fixtureCase.outputs.map(suffix);
  const g = new Graph(fixtureCase.name);
  const weights = new CheckpointWeights(g, model);
  const te = arch.textEncoder;

  if (has('x0')) {
    const idsName = input('input_ids');
    const [batch] = tensors.shape(idsName);
    const x0 = tensors.float(input('x0'));
    const emb = tensors.float(input('emb'));
    const t = tensors.ints(input('t'));
    const vectors = emb.shape[0];
    const clipSkip = Number(fixtureCase.params?.clip_skip ?? /clip_skip(\d+)/.exec(fixtureCase.name)?.[1] ?? 1);
    const tiOptions = { clipSkip, batch, latentHeight: x0.shape[2], latentWidth: x0.shape[3], vectors, auxOutputs: true };
    const built = buildTextualInversionLossGraph(model, arch, tiOptions);
    const ids = tensors.ints(idsName);
    const timesteps = Array.from({ length: batch }, (_, b) => Number(t[Math.min(b, t.length - 1)]));
    const feeds = textualInversionFeeds(arch, tiOptions, {
      emb: emb.data as Float32Array,
      inputIds: ids,
      placeholderPositions: placeholderPositions(ids, batch, te.positions, vectors, placeholderId),
      x0: x0.data as Float32Array,
      noise: tensors.float(input('noise')).data as Float32Array,
      timesteps,
      alphasCumprod,
    });
    const session = await createWeightedSession(built.bytes, built.weights, { inMemory: true, session: sessionOptions(fixtureCase.name, options) });
    options.onSession?.(fixtureCase.name, session);
    try {
      const out = await session.run(feeds);
      const o = textualInversionOutputs;
      return { loss: out[o.loss], grad: out[o.grad], noisy: out[o.noisy], cond: out[o.cond], eps: out[o.eps] };
    } finally {
      await session.release();
    }
  }

  if (has('input_ids')) {
    const idsName = input('input_ids');
    const [batch, length] = tensors.shape(idsName);
    const ids = tensors.ints(idsName);
    const idsValue = g.input('input_ids', 'int64', [batch, length]);
    const feeds: Record<string, HostTensor> = { input_ids: { dtype: 'int64', shape: [batch, length], data: ids } };
    let injection;
    if (has('emb')) {
      const emb = tensors.float(input('emb'));
      const vectors = emb.shape[0];
      injection = { emb: g.input('emb', 'float32', emb.shape), placement: g.input('placement', 'float32', [batch, length, vectors]) };
      feeds.emb = emb;
      feeds.placement = {
        dtype: 'float32',
        shape: [batch, length, vectors],
        data: injectionMatrix(placeholderPositions(ids, batch, length, vectors, placeholderId), vectors, length),
      };
    }
    const tokens = clipTokenEmbeddings(g, weights, te, idsValue, injection);
    const hidden = clipTextHidden(g, weights, te, tokens, outputs.map(clipSkipOf));
    hidden.forEach((h, i) => g.output(h, outputs[i]));
    return runGraph(g, weights, feeds, fixtureCase.name, options);
  }

  if (has('timesteps')) {
    const x = tensors.float(input('x'));
    const context = tensors.float(input('context'));
    const timesteps = Array.from(tensors.ints(input('timesteps')), Number);
    const mc = arch.unet.modelChannels;
    const eps = unetEps(g, weights, arch.unet, g.input('x', 'float32', x.shape), g.input('time_features', 'float32', [timesteps.length, mc]), g.input('context', 'float32', context.shape));
    g.output(eps, outputs[0]);
    return runGraph(g, weights, {
      x,
      context,
      time_features: { dtype: 'float32', shape: [timesteps.length, mc], data: timestepFeatures(timesteps, mc) },
    }, fixtureCase.name, options);
  }

  if (has('image')) {
    const image = tensors.float(input('image'));
    const { mean, logvar } = vaeEncode(g, weights, arch.vae, g.input('image', 'float32', image.shape));
    g.output(mean, 'mean');
    g.output(logvar, 'logvar');
    return runGraph(g, weights, { image }, fixtureCase.name, options);
  }

  if (has('z')) {
    const z = tensors.float(input('z'));
    g.output(vaeDecode(g, weights, arch.vae, g.input('z', 'float32', z.shape)), outputs[0]);
    return runGraph(g, weights, { z }, fixtureCase.name, options);
  }

  throw new Error(`case ${fixtureCase.name}: inputs ${fixtureCase.inputs.join(', ')} match no known case kind (text encoder, UNet, VAE encode/decode, textual-inversion loss).`);
}
