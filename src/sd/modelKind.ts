// Recognises what a model file is from its tensor names (and, for pickles, its first bytes), so
// a user who points us at the wrong file gets told what it is and what to use instead, rather
// than a "tensor missing" error deep inside graph building.
import { openSync, readSync, closeSync } from 'node:fs';
import { basename } from 'node:path';

export type ModelKind =
  | 'sd1' // SD1.x single-file checkpoint (UNet + VAE + CLIP ViT-L text encoder)
  | 'sdxl'
  | 'sd2'
  | 'lora'
  | 'lycoris'
  | 'vae'
  | 'embedding'
  | 'incomplete-sd1' // an SD1 UNet without the VAE and/or the text encoder
  | 'sd1-inpainting' // SD1 UNet with extra input channels (inpainting: 9, instruct-pix2pix: 8)
  | 'unknown';

export interface ModelKindDetection {
  kind: ModelKind;
  /** A tensor name (or other fact) that decided it, quoted in messages. */
  evidence: string;
  /** For 'incomplete-sd1': the parts that are missing. */
  missing?: string[];
}

const unetPrefix = 'model.diffusion_model.';
const vaePrefix = 'first_stage_model.';
const textPrefixes = ['cond_stage_model.transformer.text_model.', 'cond_stage_model.transformer.'];

/**
 * Decides the kind from tensor names and shapes. Order matters: SDXL and SD2 checkpoints also
 * contain `model.diffusion_model.*`, and LyCORIS files also contain LoRA-style names.
 */
export function detectModelKind(tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>): ModelKindDetection {
  const names = [...tensors.keys()];
  const find = (predicate: (name: string) => boolean): string | undefined => names.find(predicate);

  const sdxl = find((n) => n.startsWith('conditioner.embedders.'));
  if (sdxl) return { kind: 'sdxl', evidence: sdxl };

  const lycoris = find((n) => /(^|\.)(hada_w[12]_[ab]|hada_t[12]|lokr_w[12](_[ab])?|lokr_t2|oft_blocks|oft_diag)$/.test(n) || /\.(hada|lokr)_/.test(n));
  if (lycoris) return { kind: 'lycoris', evidence: lycoris };
  const lora = find((n) => /^lora_(unet|te\d?)_/.test(n) || /\.lora_(down|up)\.weight$/.test(n) || /\.lora_[AB]\.weight$/.test(n) || /\.lora\.(down|up)\.weight$/.test(n));
  if (lora) return { kind: 'lora', evidence: lora };

  const sd2 = find((n) => n.startsWith('cond_stage_model.model.'));
  if (sd2) return { kind: 'sd2', evidence: sd2 };

  const hasUnet = names.some((n) => n.startsWith(unetPrefix));
  const hasVae = names.some((n) => n.startsWith(vaePrefix));
  const hasText = names.some((n) => textPrefixes.some((p) => n.startsWith(p)));
  if (hasUnet) {
    // SD2-style UNets cross-attend to 1024-wide OpenCLIP states even when the text encoder is absent
    const attn2 = find((n) => n.startsWith(unetPrefix) && n.endsWith('.attn2.to_k.weight'));
    if (attn2 && tensors.get(attn2)!.shape[1] === 1024) return { kind: 'sd2', evidence: `${attn2} with context width 1024` };
    const convIn = tensors.get(`${unetPrefix}input_blocks.0.0.weight`);
    if (convIn && convIn.shape.length === 4 && convIn.shape[1] !== 4) {
      return { kind: 'sd1-inpainting', evidence: `${unetPrefix}input_blocks.0.0.weight with ${convIn.shape[1]} input channels` };
    }
    if (hasVae && hasText) return { kind: 'sd1', evidence: `${unetPrefix}*` };
    const missing = [...(hasVae ? [] : ['VAE (`first_stage_model.*`)']), ...(hasText ? [] : ['text encoder (`cond_stage_model.transformer.*`)'])];
    return { kind: 'incomplete-sd1', evidence: `${unetPrefix}*`, missing };
  }

  const embedding = find((n) => n === 'emb_params' || n === 'emp_params' || n.startsWith('string_to_param') || n === 'clip_l' || n === 'clip_g');
  if (embedding) return { kind: 'embedding', evidence: embedding };

  const vae = names.length > 0 && names.every((n) => /^(first_stage_model\.|vae\.)?(encoder|decoder|quant_conv|post_quant_conv)\./.test(n) || n.startsWith(vaePrefix));
  if (vae) return { kind: 'vae', evidence: names.find((n) => n.includes('decoder.')) ?? names[0] };

  if (names.length === 1) {
    const shape = tensors.get(names[0])!.shape;
    const small = shape.length <= 2 && shape.reduce((a, b) => a * b, 1) <= 100 * 4096;
    if (small) return { kind: 'embedding', evidence: `a single tensor \`${names[0]}\` [${shape.join(', ')}]` };
  }
  return { kind: 'unknown', evidence: names.slice(0, 3).join(', ') || 'no tensors' };
}

/** The message for a file that is not an SD1.x checkpoint (undefined when it is one). */
export function unsupportedModelMessage(path: string, detection: ModelKindDetection): string | undefined {
  const file = basename(path);
  const found = `found \`${detection.evidence}\``;
  switch (detection.kind) {
    case 'sd1':
      return undefined;
    case 'sdxl':
      return `${file}: this looks like an SDXL checkpoint (${found}); Embedding Studio trains SD1.x embeddings only for now — choose an SD1.x model (SD 1.5 or a NovelAI-derived anime model)`;
    case 'sd2':
      return `${file}: this looks like a Stable Diffusion 2.x checkpoint (${found}: an OpenCLIP text encoder with 1024-wide context); SD2.x support is planned — for now choose an SD1.x model`;
    case 'lora':
      return `${file}: this is a LoRA (${found}), not a full model; choose the base SD1.x checkpoint it was trained for (LoRAs are applied on top of a checkpoint, in AUTOMATIC1111 or ComfyUI)`;
    case 'lycoris':
      return `${file}: this is a LyCORIS network (LoHa/LoKr/OFT, ${found}), not a full model; choose the base SD1.x checkpoint it was trained for`;
    case 'vae':
      return `${file}: this is a VAE-only file (${found}); choose the full SD1.x checkpoint — training uses the checkpoint's own VAE (take external VAE files out of use while training)`;
    case 'embedding':
      return `${file}: this is a textual-inversion embedding (${found}), not a model; choose an SD1.x checkpoint as the model (embeddings to continue training are chosen separately)`;
    case 'sd1-inpainting':
      return `${file}: this is an SD1.x inpainting or instruct-pix2pix model (${found}; text-to-image models have 4); train embeddings on the base text-to-image model it was made from — embeddings trained there also work with its inpainting version`;
    case 'incomplete-sd1':
      return `${file}: this has an SD1.x UNet but no ${(detection.missing ?? []).join(' and no ')}; choose a complete checkpoint (UNet, VAE and text encoder in one file) or a diffusers folder`;
    case 'unknown':
      return `${file}: not a Stable Diffusion 1.x checkpoint (no \`model.diffusion_model.*\` tensors; first tensors: ${detection.evidence}); choose an SD1.x \`.safetensors\` checkpoint or a diffusers model folder`;
  }
}

/** True when the first bytes are a torch zip (PK\x03\x04) or a raw pickle (protocol 2+, 0x80). */
export function looksPickled(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    if (n < 2) return false;
    return (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) || (head[0] === 0x80 && head[1] >= 2 && head[1] <= 5);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A pickled checkpoint our non-executing reader could not use, and how to convert it. */
export function pickledCheckpointMessage(path: string, reason: string): string {
  return `${basename(path)}: this pickled PyTorch checkpoint (.ckpt/.pt/.bin) could not be read safely (${reason}). ` +
    'Pickles can run code when Python loads them, so we only interpret plain tensor data; convert this one once to .safetensors: ' +
    'in AUTOMATIC1111 open "Checkpoint Merger", pick it as model A, set "Interpolation Method" to "No interpolation", choose checkpoint format "safetensors" and run "Merge"; ' +
    'or with Python run `python -c "import torch, safetensors.torch as s; sd = torch.load(\'model.ckpt\', map_location=\'cpu\', weights_only=True); s.save_file({k: v.contiguous() for k, v in sd.get(\'state_dict\', sd).items() if hasattr(v, \'contiguous\')}, \'model.safetensors\')"`; ' +
    'most models are also published as .safetensors on the site you got this one from.';
}
