// The WD14-style auto-tagger: a user-supplied `model.onnx` + `selected_tags.csv`, run with
// onnxruntime-node on the chosen execution provider. Everything about the model (input name,
// size, NHWC layout, fixed or dynamic batch, whether it outputs probabilities) is read from the
// model rather than assumed. Runs only where ORT may load: the tagger child process, the CLI,
// tests — never the extension host.
import { createSession, type ProviderChoice, type Session } from '../onnx/session';
import { readModelSignatureFile, type ModelSignature } from './onnxModelSignature';
import { readSelectedTags, type TagTable } from './selectedTags';
import { taggerInput } from './taggerPreprocessing';
import { selectTags, type ImageTagResult, type TagSelectionOptions } from './taggerThresholds';
import { basename } from 'node:path';
import { ImageDecodeError } from './imageLoading';
import { unusableImageMessage } from './imageInfo';

export interface TaggerModelInfo {
  inputName: string;
  outputName: string;
  /** Square input size (448 for the published models). */
  size: number;
  /** Largest batch one run takes: `null` when the batch dimension is dynamic. */
  fixedBatch: number | null;
  tagCount: number;
}

export interface TaggerOpenOptions {
  provider?: ProviderChoice;
  intraOpThreads?: number;
}

/** Inspects a model signature and says how to feed it, or why it is not a WD14-style tagger. */
export function taggerModelInfo(signature: ModelSignature, tags: TagTable, file = 'model.onnx'): TaggerModelInfo {
  const input = signature.inputs[0];
  const output = signature.outputs[0];
  if (!input || !output) throw new Error(`${file}: the model declares no ${input ? 'output' : 'input'} — not a tagger model`);
  if (signature.inputs.length !== 1) throw new Error(`${file}: expected one image input, found ${signature.inputs.length} (${signature.inputs.map((i) => i.name).join(', ')}) — not a WD14-style tagger`);
  const [batch, height, width, channels] = input.shape;
  const float32 = 1;
  if (input.shape.length !== 4 || channels !== 3 || typeof height !== 'number' || height !== width || input.elementType !== float32) {
    throw new Error(
      `${file}: input '${input.name}' is ${describeShape(input.shape)}, but a WD14 tagger takes float32 [batch, size, size, 3] (NHWC, BGR) — ` +
        'NCHW or other exports are not supported; use the model.onnx published with selected_tags.csv',
    );
  }
  const outputCount = output.shape[output.shape.length - 1];
  if (typeof outputCount === 'number' && outputCount !== tags.tags.length) {
    throw new Error(`${file}: the model outputs ${outputCount} scores but the tag list has ${tags.tags.length} tags — use the selected_tags.csv that came with this model`);
  }
  return { inputName: input.name, outputName: output.name, size: height, fixedBatch: typeof batch === 'number' ? batch : null, tagCount: tags.tags.length };
}

function describeShape(shape: readonly (number | string | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

export interface TaggedImage {
  image: string;
  /** Per-tag probabilities in tag-table order. */
  scores: Float32Array;
  result: ImageTagResult;
}

export interface TagImagesOptions {
  selection?: Partial<TagSelectionOptions>;
  /** Images per run for a dynamic-batch model (a fixed-batch model uses its own). */
  batchSize?: number;
  onImage?: (tagged: TaggedImage, done: number, total: number) => void;
  onFailure?: (image: string, reason: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

export class Tagger {
  /** 'probabilities' as published; 'logits' when a model's outputs leave [0, 1] (sigmoid applied here then). */
  outputKind: 'probabilities' | 'logits' | 'unknown' = 'unknown';

  private constructor(
    readonly model: TaggerModelInfo,
    readonly tags: TagTable,
    private readonly session: Session,
  ) {}

  static async open(modelPath: string, tagsPath: string, options: TaggerOpenOptions = {}): Promise<Tagger> {
    const tags = await readSelectedTags(tagsPath);
    const model = taggerModelInfo(await readModelSignatureFile(modelPath), tags, modelPath);
    const session = await createSession(modelPath, { provider: options.provider ?? 'auto', intraOpThreads: options.intraOpThreads });
    return new Tagger(model, tags, session);
  }

  get provider(): string {
    return this.session.provider;
  }

  get providerNotes(): readonly string[] {
    return this.session.providerNotes;
  }

  /** Probabilities for prepared inputs (each `size²×3` BGR floats); batches as the model allows. */
  async scoreInputs(inputs: Float32Array[]): Promise<Float32Array[]> {
    if (inputs.length === 0) return [];
    const { size, fixedBatch, inputName, outputName, tagCount } = this.model;
    const rows = fixedBatch ?? inputs.length;
    if (inputs.length > rows) throw new Error(`the model takes batches of ${rows}, got ${inputs.length} images`);
    const pixels = size * size * 3;
    const data = new Float32Array(rows * pixels);
    // A fixed batch larger than what we have is padded by repeating the last image.
    for (let r = 0; r < rows; r++) data.set(inputs[Math.min(r, inputs.length - 1)], r * pixels);
    const outputs = await this.session.run({ [inputName]: { dtype: 'float32', shape: [rows, size, size, 3], data } }, [outputName]);
    const out = outputs[outputName];
    const values = out.data as Float32Array;
    if (values.length !== rows * tagCount) throw new Error(`the model returned ${values.length} scores for ${rows} images × ${tagCount} tags`);
    this.checkOutputRange(values);
    return inputs.map((_, r) => {
      const row = values.slice(r * tagCount, (r + 1) * tagCount);
      if (this.outputKind === 'logits') for (let i = 0; i < row.length; i++) row[i] = 1 / (1 + Math.exp(-row[i]));
      return row;
    });
  }

  /** Probabilities for any number of prepared inputs, in runs of the model's batch size (4 when dynamic). */
  async scoreAll(inputs: Float32Array[], batchSize = 4): Promise<Float32Array[]> {
    const step = this.model.fixedBatch ?? Math.max(1, batchSize);
    const out: Float32Array[] = [];
    for (let i = 0; i < inputs.length; i += step) out.push(...(await this.scoreInputs(inputs.slice(i, i + step))));
    return out;
  }

  /** The published models end in a sigmoid; a raw-logit export is recognised by its range, so no double sigmoid. */
  private checkOutputRange(values: Float32Array): void {
    if (this.outputKind !== 'unknown') return;
    let outside = false;
    for (const v of values) if (v < -1e-6 || v > 1 + 1e-6) outside = true;
    this.outputKind = outside ? 'logits' : 'probabilities';
  }

  /** Tags every image; a file that cannot be decoded is reported through onFailure and skipped. */
  async tagImages(images: string[], options: TagImagesOptions = {}): Promise<TaggedImage[]> {
    const batchSize = this.model.fixedBatch ?? Math.max(1, options.batchSize ?? 4);
    const results: TaggedImage[] = [];
    let done = 0;
    const prepare = async (batch: string[]) =>
      Promise.all(
        batch.map(async (image) => {
          try {
            return { image, input: await taggerInput(image, this.model.size) };
          } catch (error) {
            // the words lint and training use for the same file
            return { image, error: error instanceof ImageDecodeError ? unusableImageMessage(basename(image), error.reason) : (error as Error).message };
          }
        }),
      );
    // Images are decoded in chunks of at least 4 (sharp works on libuv threads, in parallel and
    // while ORT runs), even for a batch-1 model, which then gets several runs per chunk.
    const chunkSize = batchSize * Math.max(1, Math.ceil(4 / batchSize));
    const chunks: string[][] = [];
    for (let i = 0; i < images.length; i += chunkSize) chunks.push(images.slice(i, i + chunkSize));
    let pending = chunks.length > 0 ? prepare(chunks[0]) : null;
    for (let c = 0; c < chunks.length && pending; c++) {
      const prepared = await pending;
      pending = c + 1 < chunks.length && !options.signal?.aborted ? prepare(chunks[c + 1]) : null;
      if (options.signal?.aborted) break;
      const ready = prepared.filter((p): p is { image: string; input: Float32Array } => 'input' in p);
      for (const failed of prepared) if ('error' in failed) options.onFailure?.(failed.image, failed.error as string, ++done, images.length);
      for (let b = 0; b < ready.length; b += batchSize) {
        if (options.signal?.aborted) break;
        const batch = ready.slice(b, b + batchSize);
        const scores = await this.scoreInputs(batch.map((p) => p.input));
        batch.forEach((p, i) => {
          const tagged = { image: p.image, scores: scores[i], result: selectTags(scores[i], this.tags, options.selection) };
          results.push(tagged);
          options.onImage?.(tagged, ++done, images.length);
        });
      }
    }
    if (pending) await pending.catch(() => undefined);
    return results;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
