// VAE-encodes the training images once per (model, size, image set) and keeps the latent
// distributions in the run folder (`latents-WxH.safetensors`), so a resumed run does not encode
// again; the VAE session is released as soon as the encoding is done.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NodePlacementReport, ProviderChoice } from '../onnx';
import type { Sd1Architecture } from '../sd/architecture';
import type { Checkpoint } from '../sd/checkpoint';
import { openSafetensors, writeSafetensors } from '../sd/safetensors';
import { vaeEncode } from '../sd/vaeGraph';
import { createCheckpointSession } from './checkpointSession';
import type { LatentDistribution } from './latentCache';
import { loadImageForVae, type TrainingImage } from './trainingImages';

export interface LatentEncodingOptions {
  checkpoint: Checkpoint;
  architecture: Sd1Architecture;
  images: TrainingImage[];
  width: number;
  height: number;
  runDir: string;
  provider: ProviderChoice;
  cacheDir: string;
  onProgress?: (done: number, total: number) => void;
  onNodePlacement?: (report: NodePlacementReport) => void;
}

function cacheKey(options: LatentEncodingOptions): string {
  const model = options.checkpoint.files.map((f) => `${f}|${statSync(f).size}|${statSync(f).mtimeMs}`).join(';');
  const images = options.images.map((i) => `${i.path}|${i.size}|${i.mtimeMs}`).join(';');
  return `${model}#${options.width}x${options.height}#${images}`;
}

export async function encodeTrainingLatents(options: LatentEncodingOptions): Promise<{ distributions: LatentDistribution[]; fromCache: boolean }> {
  const { width, height, images } = options;
  const cachePath = join(options.runDir, `latents-${width}x${height}.safetensors`);
  const key = cacheKey(options);
  if (existsSync(cachePath)) {
    const file = openSafetensors(cachePath);
    try {
      if (file.metadata.key === key) {
        return { distributions: images.map((_, i) => ({ mean: file.readFloat32(`mean.${i}`), logvar: file.readFloat32(`logvar.${i}`) })), fromCache: true };
      }
    } finally {
      file.close();
    }
  }
  const vae = options.architecture.vae;
  const session = await createCheckpointSession(
    options.checkpoint,
    `${options.checkpoint.name}.vae-encode-${width}x${height}.onnx`,
    (g, weights) => {
      const image = g.input('image', 'float32', [1, vae.inChannels, height, width]);
      const { mean, logvar } = vaeEncode(g, weights, vae, image);
      g.output(mean, 'mean');
      g.output(logvar, 'logvar');
    },
    options,
  );
  const distributions: LatentDistribution[] = [];
  try {
    for (let i = 0; i < images.length; i++) {
      const pixels = await loadImageForVae(images[i].path, width, height);
      const out = await session.run({ image: { dtype: 'float32', shape: [1, vae.inChannels, height, width], data: pixels } });
      distributions.push({ mean: Float32Array.from(out.mean.data as Float32Array), logvar: Float32Array.from(out.logvar.data as Float32Array) });
      options.onProgress?.(i + 1, images.length);
    }
  } finally {
    await session.release();
  }
  const h = height / vae.downscale;
  const w = width / vae.downscale;
  writeSafetensors(
    cachePath,
    distributions.flatMap((d, i) => [
      { name: `mean.${i}`, dtype: 'F32' as const, shape: [vae.embedDim, h, w], data: d.mean },
      { name: `logvar.${i}`, dtype: 'F32' as const, shape: [vae.embedDim, h, w], data: d.logvar },
    ]),
    { key },
  );
  return { distributions, fromCache: false };
}
