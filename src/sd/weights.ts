// Checkpoint tensors bound into a graph as external initialisers that point straight into the
// .safetensors file(s): nothing is copied, ORT memory-maps the weights. F16 weights get a Cast
// to float32 in the graph (folded once by ORT's optimiser). BF16 has no bfloat16 type in our
// builder and no Cast kernel everywhere, so BF16 tensors are widened to float32 on the host into
// one side file ("converted weights") that the model references like the checkpoint itself.
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { Graph, Value, createSession, writeModel, type Session, type SessionOptions } from '../onnx';
import { bfloat16ArrayToFloat32 } from './float16';
import type { SafetensorsDtype } from './safetensors';

/** A tensor of a checkpoint: where its bytes are. `file` defaults to the source's `path`. */
export interface WeightTensor {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly fileOffset: number;
  readonly byteLength: number;
  readonly file?: string;
}

/** What weight binding needs of a checkpoint (`Checkpoint` and `SafetensorsFile` both fit). */
export interface WeightSource {
  readonly path: string;
  readonly tensors: ReadonlyMap<string, WeightTensor>;
  readRaw(name: string): Buffer;
}

/** A file an external initialiser points into: by path on disk, or (side file) by bytes. */
export interface ExternalWeightFile {
  /** The name written into the model, relative to the model's folder. */
  location: string;
  /** The real file, when the data is on disk. */
  path?: string;
  /** The data, when it only exists in memory (converted BF16 weights). */
  data?: Uint8Array;
}

export interface CheckpointWeightsOptions {
  /**
   * The `location` for a checkpoint file, as seen from the folder the .onnx will be in
   * (`placeModelForCheckpoint(...).dataLocation` for a single file). Default: the base name of a
   * single file, the path inside the folder for a diffusers model.
   */
  locationOf?: (file: string) => string;
  /** Location of the side file holding BF16 tensors widened to float32. */
  convertedLocation?: string;
}

export class CheckpointWeights {
  private readonly bound = new Map<string, Value>();
  private readonly usedFiles = new Map<string, string>();
  private readonly converted: Uint8Array[] = [];
  private convertedBytes = 0;
  private readonly locationOf: (file: string) => string;
  readonly convertedLocation: string;

  constructor(
    readonly graph: Graph,
    readonly source: WeightSource,
    options: CheckpointWeightsOptions = {},
  ) {
    this.locationOf = options.locationOf ?? ((file) => defaultLocation(source.path, file));
    this.convertedLocation = options.convertedLocation ?? `${basename(source.path)}.bf16-as-float32.bin`;
  }

  has(name: string): boolean {
    return this.source.tensors.has(name);
  }

  shape(name: string): readonly number[] {
    return this.tensor(name).shape;
  }

  /** The tensor as a float32 value of the graph (bound once, shared by every use). */
  get(name: string): Value {
    const cached = this.bound.get(name);
    if (cached) return cached;
    const tensor = this.tensor(name);
    const g = this.graph;
    let value: Value;
    switch (tensor.dtype) {
      case 'F32':
        value = g.externalTensor(name, this.spec(tensor, 'float32'));
        break;
      case 'F16':
        value = g.cast(g.externalTensor(name, this.spec(tensor, 'float16')), 'float32');
        break;
      case 'BF16': {
        const raw = this.source.readRaw(name);
        const aligned = new Uint16Array(raw.length / 2);
        new Uint8Array(aligned.buffer).set(raw);
        const widened = bfloat16ArrayToFloat32(aligned);
        const bytes = new Uint8Array(widened.buffer, widened.byteOffset, widened.byteLength);
        value = g.externalTensor(name, {
          dtype: 'float32',
          shape: tensor.shape,
          location: this.convertedLocation,
          offset: this.convertedBytes,
          length: bytes.byteLength,
        });
        this.converted.push(bytes);
        this.convertedBytes += bytes.byteLength;
        break;
      }
      default:
        throw new Error(
          `${this.source.path}: tensor \`${name}\` is ${tensor.dtype}; model weights must be F32, F16 or BF16 — re-export the checkpoint in float16 or float32.`,
        );
    }
    this.bound.set(name, value);
    return value;
  }

  /** The files the bound initialisers point into (call after building). */
  externalFiles(): ExternalWeightFile[] {
    const files: ExternalWeightFile[] = [...this.usedFiles].map(([path, location]) => ({ location, path }));
    if (this.converted.length > 0) {
      const data = new Uint8Array(this.convertedBytes);
      let offset = 0;
      for (const chunk of this.converted) {
        data.set(chunk, offset);
        offset += chunk.byteLength;
      }
      files.push({ location: this.convertedLocation, data });
    }
    return files;
  }

  private tensor(name: string): WeightTensor {
    const tensor = this.source.tensors.get(name);
    if (!tensor) {
      throw new Error(
        `${this.source.path}: tensor \`${name}\` is missing — the checkpoint is incomplete or not an SD1.x model with the architecture inferred from its other tensors.`,
      );
    }
    return tensor;
  }

  private spec(tensor: WeightTensor, dtype: 'float32' | 'float16') {
    const file = tensor.file ?? this.source.path;
    let location = this.usedFiles.get(file);
    if (location === undefined) {
      location = this.locationOf(file);
      this.usedFiles.set(file, location);
    }
    return { dtype, shape: tensor.shape, location, offset: tensor.fileOffset, length: tensor.byteLength };
  }
}

/**
 * A single file is named by its base name; the files of a diffusers folder by their path inside
 * it (`unet/diffusion_pytorch_model.safetensors`), so the UNet and VAE files do not collide and
 * a model written into the folder finds them.
 */
function defaultLocation(sourcePath: string, file: string): string {
  const inside = relative(sourcePath, file);
  if (file !== sourcePath && inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return inside.split(sep).join('/');
  return basename(file);
}

/**
 * Creates a session for a model whose weights `weights` bound. `inMemory` reads the weight files
 * into memory (small models, tests, read-only folders); otherwise the model is written to
 * `modelPath`, whose folder must already hold the checkpoint under its location (see
 * placeModelForCheckpoint), and the converted-weights side file is written beside it.
 */
export async function createWeightedSession(
  modelBytes: Uint8Array,
  weights: CheckpointWeights,
  options: { inMemory: true; session?: SessionOptions } | { inMemory?: false; modelPath: string; session?: SessionOptions },
): Promise<Session> {
  const files = weights.externalFiles();
  if (options.inMemory) {
    const externalData = files.map((f) => ({ path: f.location, data: f.data ?? new Uint8Array(readFileSync(f.path!)) }));
    return createSession(modelBytes, { ...options.session, externalData });
  }
  for (const f of files) if (f.data) writeModel(join(dirname(options.modelPath), f.location), f.data);
  writeModel(options.modelPath, modelBytes);
  return createSession(options.modelPath, options.session);
}
