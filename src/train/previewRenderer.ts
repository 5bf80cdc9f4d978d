// Previews that can be compared across steps (the tutorial lowers the rate when the last few
// previews look alike): by default a fixed seed and fixed prompts — the embedding name alone and
// one template line — with a negative prompt, classifier-free guidance, Euler a or DDIM,
// VAE decode, and a PNG carrying A1111's `parameters` text and the embedding
// (`sd-ti-embedding`). Each preview reports its mean absolute pixel difference from the previous
// preview of the same prompt.
import { join } from 'node:path';
import sharp from 'sharp';
import type { NodePlacementReport, ProviderChoice, Session } from '../onnx';
import type { Sd1Architecture } from '../sd/architecture';
import type { Checkpoint } from '../sd/checkpoint';
import { clipTextHidden, clipTokenEmbeddings } from '../sd/clipTextGraph';
import { SeededRandom } from '../sd/random';
import { sampleDdim, sampleEulerAncestral } from '../sd/samplers';
import { timestepFeatures, unetEps } from '../sd/unetGraph';
import { vaeDecode } from '../sd/vaeGraph';
import { writeFileAtomic } from '../dataset/atomicWrite';
import type { TrainerEvent } from '../protocol/trainerMessages';
import { createCheckpointSession } from './checkpointSession';
import type { RunConfig } from './config';
import type { Embedding } from './embeddingFile';
import { latentScaleFactor } from './latentCache';
import type { PreviewRenderer } from './loop';
import { embeddingTextChunk, embeddingTextKey } from './pngEmbedding';
import { insertPngTextChunks } from './pngTextChunks';
import { fillPromptTemplate, type PromptTemplate } from './promptTemplates';
import { encodeTrainingPrompt, type PromptTokenizer } from './trainingPrompt';

export interface PreviewRendererOptions {
  config: RunConfig;
  runDir: string;
  checkpoint: Checkpoint;
  architecture: Sd1Architecture;
  alphasCumprod: Float64Array;
  tokenizer: PromptTokenizer;
  template: PromptTemplate;
  embedding: Embedding;
  cacheDir: string;
  provider: string;
  intraOpThreads?: number;
  onNodePlacement?: (report: NodePlacementReport) => void;
}

type PreviewEvent = Extract<TrainerEvent, { type: 'preview' }>;

export const samplerLabels = { euler_a: 'Euler a', ddim: 'DDIM' } as const;

/** The fixed preview prompts: the name alone, and the template's first non-empty line with empty filewords. */
export function defaultPreviewPrompts(config: RunConfig, template: PromptTemplate): string[] {
  if (config.previewPrompts.length) return config.previewPrompts;
  // the first line with text (a template may keep empty lines, see promptTemplates.ts)
  const line = fillPromptTemplate(template.lines.find((l) => l.length > 0) ?? '', config.name, '').replace(/\s*,\s*$/, '').replace(/^\s*,\s*/, '').replace(/,\s*,/g, ',');
  return [...new Set([config.name, line])];
}

/** A1111's generation-parameters text. */
export function generationParameters(p: { prompt: string; negativePrompt: string; steps: number; sampler: string; cfgScale: number; seed: number; width: number; height: number; modelHash: string | null; modelName: string }): string {
  const fields = [`Steps: ${p.steps}`, `Sampler: ${p.sampler}`, `CFG scale: ${p.cfgScale}`, `Seed: ${p.seed}`, `Size: ${p.width}x${p.height}`];
  if (p.modelHash) fields.push(`Model hash: ${p.modelHash}`);
  fields.push(`Model: ${p.modelName}`);
  return `${p.prompt}\n${p.negativePrompt ? `Negative prompt: ${p.negativePrompt}\n` : ''}${fields.join(', ')}`;
}

export async function createPreviewRenderer(o: PreviewRendererOptions): Promise<PreviewRenderer & { release(): Promise<void> }> {
  const { config, architecture: arch } = o;
  const text = arch.textEncoder;
  const n = o.embedding.count;
  const h = config.height / arch.vae.downscale;
  const w = config.width / arch.vae.downscale;
  const latentShape = [1, arch.unet.inChannels, h, w];
  const sessionOptions = { provider: o.provider as ProviderChoice, cacheDir: o.cacheDir, intraOpThreads: o.intraOpThreads, onNodePlacement: o.onNodePlacement };
  const name = o.checkpoint.name;
  const textSession = await createCheckpointSession(
    o.checkpoint,
    `${name}.preview-text-${n}.onnx`,
    (g, weights) => {
      const emb = g.input('emb', 'float32', [n, text.width]);
      const ids = g.input('input_ids', 'int64', [1, text.positions]);
      const placement = g.input('placement', 'float32', [1, text.positions, n]);
      const tokenWeights = g.input('token_weights', 'float32', [1, text.positions, 1]);
      const hidden = clipTextHidden(g, weights, text, clipTokenEmbeddings(g, weights, text, ids, { emb, placement }), [config.clipSkip])[0];
      const weighted = g.mul(hidden, tokenWeights);
      g.output(g.mul(weighted, g.div(g.reduceMean(hidden), g.reduceMean(weighted))), 'cond');
    },
    sessionOptions,
  );
  const sessions: Session[] = [textSession];
  try {
    // The UNet's context is 77·k tokens for a prompt of k chunks: one session per k, built on first use.
    const unetSessions = new Map<number, Promise<Session>>();
    const unetFor = (chunks: number): Promise<Session> => {
      let session = unetSessions.get(chunks);
      if (!session) {
        session = createCheckpointSession(
          o.checkpoint,
          `${name}.preview-unet-${h}x${w}${chunks > 1 ? `-${chunks}chunks` : ''}.onnx`,
          (g, weights) => {
            const x = g.input('x', 'float32', latentShape);
            const features = g.input('time_features', 'float32', [1, arch.unet.modelChannels]);
            const context = g.input('context', 'float32', [1, text.positions * chunks, arch.unet.contextDim]);
            g.output(unetEps(g, weights, arch.unet, x, features, context), 'eps');
          },
          sessionOptions,
        );
        unetSessions.set(chunks, session);
        session.then((s) => sessions.push(s), () => unetSessions.delete(chunks));
      }
      return session;
    };
    await unetFor(1);
    const vaeSession = await createCheckpointSession(
      o.checkpoint,
      `${name}.preview-vae-decode-${h}x${w}.onnx`,
      (g, weights) => {
        const z = g.input('z', 'float32', latentShape);
        g.output(vaeDecode(g, weights, arch.vae, z), 'image');
      },
      sessionOptions,
    );
    sessions.push(vaeSession);

    // A1111 encodes each chunk of 77 on its own (emphasis rescaled per chunk) and concatenates them.
    const t = text.positions;
    const encode = async (prompt: string, vectors: Float32Array): Promise<Float32Array> => {
      const e = encodeTrainingPrompt(o.tokenizer, prompt, config.name, n, config.emphasis);
      const cond = new Float32Array(e.chunks * t * text.width);
      for (let c = 0; c < e.chunks; c++) {
        const placement = new Float32Array(t * n);
        for (const [position, row] of e.slots) if (position >= c * t && position < (c + 1) * t) placement[(position - c * t) * n + row] = 1;
        const out = await textSession.run({
          emb: { dtype: 'float32', shape: [n, text.width], data: vectors },
          input_ids: { dtype: 'int64', shape: [1, t], data: BigInt64Array.from(e.ids.slice(c * t, (c + 1) * t), (v) => BigInt(v)) },
          placement: { dtype: 'float32', shape: [1, t, n], data: placement },
          token_weights: { dtype: 'float32', shape: [1, t, 1], data: Float32Array.from(e.weights.slice(c * t, (c + 1) * t)) },
        });
        cond.set(out.cond.data as Float32Array, c * t * text.width);
      }
      return cond;
    };
    const predictNoise = async (x: Float32Array, timestep: number, context: Float32Array): Promise<Float32Array> => {
      const chunks = context.length / (t * arch.unet.contextDim);
      const out = await (await unetFor(chunks)).run({
        x: { dtype: 'float32', shape: latentShape, data: x },
        time_features: { dtype: 'float32', shape: [1, arch.unet.modelChannels], data: timestepFeatures([timestep], arch.unet.modelChannels) },
        context: { dtype: 'float32', shape: [1, t * chunks, arch.unet.contextDim], data: context },
      });
      return out.eps.data as Float32Array;
    };
    const prompts = defaultPreviewPrompts(config, o.template);
    const previous = new Map<string, Uint8Array>();
    const sampler = samplerLabels[config.previewSampler];
    const hashes = (() => {
      try {
        return o.checkpoint.hashes();
      } catch {
        return null;
      }
    })();

    const previewPath = (step: number, index: number) => join(o.runDir, 'images', `${config.name}-${step}${prompts.length > 1 ? `-${index}` : ''}.png`);

    return {
      async restorePrevious(step: number) {
        for (const [index, prompt] of prompts.entries()) {
          try {
            const { data, info } = await sharp(previewPath(step, index)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
            if (info.width === config.width && info.height === config.height && info.channels === 3) previous.set(prompt, new Uint8Array(data));
          } catch {
            // gone or unreadable: the next preview of this prompt has nothing to be compared with
          }
        }
      },
      async render(step: number, vectors: Float32Array): Promise<PreviewEvent[]> {
        const events: PreviewEvent[] = [];
        const uncond = await encode(config.previewNegativePrompt, vectors);
        for (const [index, prompt] of prompts.entries()) {
          const cond = await encode(prompt, vectors);
          const options = {
            alphasCumprod: o.alphasCumprod,
            steps: config.previewSteps,
            predictNoise,
            conditioning: cond,
            unconditioning: uncond,
            guidanceScale: config.previewCfgScale,
            size: latentShape.reduce((a, b) => a * b, 1),
            rng: new SeededRandom(config.previewSeed),
          };
          const { latent } = config.previewSampler === 'ddim' ? await sampleDdim(options) : await sampleEulerAncestral(options);
          const z = latent.map((v) => v / latentScaleFactor);
          const image = (await vaeSession.run({ z: { dtype: 'float32', shape: latentShape, data: z } })).image.data as Float32Array;
          const plane = config.width * config.height;
          const rgb = new Uint8Array(plane * 3);
          for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(Math.min(1, Math.max(0, (image[c * plane + i] + 1) / 2)) * 255);
          const last = previous.get(prompt);
          let difference: number | null = null;
          if (last) {
            let sum = 0;
            for (let i = 0; i < rgb.length; i++) sum += Math.abs(rgb[i] - last[i]);
            difference = sum / rgb.length / 255;
          }
          previous.set(prompt, rgb);
          const png = await sharp(rgb, { raw: { width: config.width, height: config.height, channels: 3 } }).png().toBuffer();
          const texts: Record<string, string> = {
            parameters: generationParameters({ prompt, negativePrompt: config.previewNegativePrompt, steps: config.previewSteps, sampler, cfgScale: config.previewCfgScale, seed: config.previewSeed, width: config.width, height: config.height, modelHash: hashes?.shortHash ?? null, modelName: o.checkpoint.name }),
          };
          if (config.saveImageWithEmbedding) texts[embeddingTextKey] = embeddingTextChunk({ ...o.embedding, vectors, step });
          const path = previewPath(step, index);
          await writeFileAtomic(path, insertPngTextChunks(png, texts));
          events.push({ type: 'preview', step, path, prompt, negativePrompt: config.previewNegativePrompt, seed: config.previewSeed, sampler, samplingSteps: config.previewSteps, differenceFromPrevious: difference });
        }
        return events;
      },
      async release() {
        await Promise.allSettled(unetSessions.values());
        for (const s of sessions) await s.release();
      },
    };
  } catch (error) {
    for (const s of sessions) await s.release();
    throw error;
  }
}
