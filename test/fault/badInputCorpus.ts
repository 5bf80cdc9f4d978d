// The fault suite's corpus: every kind of bad input the commands meet, generated into a temporary
// folder. Dataset files (damaged and cut-short images, corrupt JPEG data, files that are not
// images, symbolic links that loop, dangle or leave the dataset, captions that are binary,
// Latin-1, UTF-16, 5 MB or 100k tags long, an image without a caption, a 280-token caption)
// sit together in one dataset beside three good images, so each command runs once over all of
// them; models, embeddings and folders are files of their own. Nothing here decides what a
// command should say about them: expectedOutcomes.ts does.
import { mkdirSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { openSafetensors, writeSafetensors } from '../../src/sd/safetensors';
import { writeStoredZip } from '../../src/sd/zipArchive';
import { writeDemoDataset } from '../../src/train/demoDataset';
import { writeEmbeddingSafetensors } from '../../src/train/embeddingFile';
import { noneOpcodeBomb } from './archiveBombs';
import { tinyModelPath } from '../train/tinyTrainingRun';

export interface Corpus {
  root: string;
  /** One dataset holding every bad dataset file and three good images (demo001–003). */
  dataset: string;
  /** Files the dataset's links point at, outside it. */
  outside: string;
  /** Dataset file names by input id. */
  datasetFiles: Record<DatasetInputId, string>;
  /** Model files by input id. */
  models: Record<ModelInputId, string>;
  /** Embedding files given as --init-embedding, by input id. */
  embeddings: Record<EmbeddingInputId, string>;
  /** Dataset folders that are bad as a whole, by input id. */
  folders: Record<FolderInputId, string>;
}

export const datasetInputIds = [
  'truncated-png', 'truncated-jpeg', 'corrupt-jpeg-data', 'text-named-png', 'empty-jpeg', 'symlink-loop', 'dangling-link',
  'image-link-outside', 'caption-link-outside', 'binary-caption', 'latin1-caption', 'utf16-caption', 'huge-caption', 'hundred-thousand-tags',
  'missing-caption', 'long-caption',
] as const;
export type DatasetInputId = (typeof datasetInputIds)[number];

export const modelInputIds = [
  'missing-file', 'text-named-safetensors', 'truncated-safetensors', 'oversized-header', 'header-past-end', 'sdxl', 'lora', 'vae-only',
  'embedding-as-model', 'nan-weight', 'ckpt-bomb', 'ckpt-malicious', 'ckpt-legacy',
] as const;
export type ModelInputId = (typeof modelInputIds)[number];

export const embeddingInputIds = ['nan-embedding', 'pt-bomb', 'model-as-embedding', 'missing-embedding'] as const;
export type EmbeddingInputId = (typeof embeddingInputIds)[number];

export const folderInputIds = ['empty-folder', 'missing-folder', 'file-as-folder'] as const;
export type FolderInputId = (typeof folderInputIds)[number];

async function jpeg(size: number, seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(size * size * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + seed * 31 + (i >> 8) * 13) & 255;
  return sharp(raw, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

function zipOf(pickle: Buffer): Buffer {
  return writeStoredZip([{ name: 'archive/data.pkl', data: pickle }, { name: 'archive/version', data: Buffer.from('3\n') }]);
}

/** A safetensors file with these tensors (small zero data of the right size). */
function tensorsFile(path: string, shapes: Record<string, number[]>): void {
  writeSafetensors(path, Object.entries(shapes).map(([name, shape]) => ({ name, dtype: 'F16' as const, shape, data: new Uint16Array(shape.reduce((a, b) => a * b, 1)) })));
}

export async function writeCorpus(root: string): Promise<Corpus> {
  const dataset = join(root, 'dataset');
  const outside = join(root, 'outside');
  const modelDir = join(root, 'models');
  for (const dir of [outside, modelDir]) mkdirSync(dir, { recursive: true });
  await writeDemoDataset(dataset, 3, 64, 21);
  const good = readFileSync(join(dataset, 'demo001.png'));
  const caption = '1girl, solo, red hair';
  const at = (name: string) => join(dataset, name);
  const put = (name: string, data: string | Buffer, withCaption = true) => {
    writeFileSync(at(name), data);
    if (withCaption) writeFileSync(at(name.replace(/\.[^.]+$/, '.txt')), caption);
  };
  const pictureJpeg = await jpeg(64, 1);
  const datasetFiles = {} as Record<DatasetInputId, string>;
  const file = (id: DatasetInputId, name: string) => (datasetFiles[id] = name);

  put(file('truncated-png', 'cut.png'), good.subarray(0, Math.floor(good.length / 2)));
  put(file('truncated-jpeg', 'cut.jpg'), pictureJpeg.subarray(0, Math.floor(pictureJpeg.length / 2)));
  // cut short and closed with an end-of-image marker: libjpeg only warns ("premature end of data segment")
  put(file('corrupt-jpeg-data', 'corrupt.jpg'), Buffer.concat([pictureJpeg.subarray(0, Math.floor(pictureJpeg.length / 2)), Buffer.from([0xff, 0xd9])]));
  put(file('text-named-png', 'notes.png'), 'these are my notes, not a picture');
  put(file('empty-jpeg', 'empty.jpg'), Buffer.alloc(0));
  symlinkSync(at('loop-b.png'), at(file('symlink-loop', 'loop-a.png')));
  symlinkSync(at('loop-a.png'), at('loop-b.png'));
  writeFileSync(at('loop-a.txt'), caption);
  symlinkSync(join(outside, 'gone.png'), at(file('dangling-link', 'dangling.png')));
  writeFileSync(at('dangling.txt'), caption);
  writeFileSync(join(outside, 'elsewhere.png'), good);
  symlinkSync(join(outside, 'elsewhere.png'), at(file('image-link-outside', 'linked-out.png')));
  writeFileSync(at('linked-out.txt'), caption);
  writeFileSync(at('linked-caption.png'), good);
  writeFileSync(join(outside, 'elsewhere.txt'), caption);
  symlinkSync(join(outside, 'elsewhere.txt'), at(file('caption-link-outside', 'linked-caption.txt')));
  const withImage = (id: DatasetInputId, stem: string, text: string | Buffer) => {
    writeFileSync(at(`${stem}.png`), good);
    writeFileSync(at(file(id, `${stem}.txt`)), text);
  };
  withImage('binary-caption', 'binary', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x01, 0xff, 0x00]));
  withImage('latin1-caption', 'latin1', Buffer.from('1girl, caf\xe9, smile', 'latin1'));
  withImage('utf16-caption', 'utf16', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('1girl, smile', 'utf16le')]));
  withImage('huge-caption', 'huge', '1girl, '.repeat(750_000));
  withImage('hundred-thousand-tags', 'manytags', Array.from({ length: 100_000 }, (_, i) => `tag${i}`).join(', '));
  writeFileSync(at(file('missing-caption', 'nocaption.png')), good);
  withImage('long-caption', 'long', Array.from({ length: 140 }, (_, i) => `word${i} thing`).join(', '));

  const models = {} as Record<ModelInputId, string>;
  const model = (id: ModelInputId, name: string) => (models[id] = join(modelDir, name));
  model('missing-file', 'absent.safetensors');
  writeFileSync(model('text-named-safetensors', 'notes.safetensors'), 'these are my notes');
  const fixtureBytes = readFileSync(tinyModelPath);
  writeFileSync(model('truncated-safetensors', 'cut.safetensors'), fixtureBytes.subarray(0, Math.floor(fixtureBytes.length / 2)));
  const oversized = Buffer.from(fixtureBytes);
  oversized.writeBigUInt64LE(1n << 40n, 0);
  writeFileSync(model('oversized-header', 'oversized-header.safetensors'), oversized);
  const pastEnd = Buffer.from(fixtureBytes.subarray(0, 4096));
  writeFileSync(model('header-past-end', 'header-past-end.safetensors'), pastEnd);
  tensorsFile(model('sdxl', 'sdxl.safetensors'), { 'model.diffusion_model.input_blocks.0.0.weight': [4, 4], 'conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight': [4, 4] });
  tensorsFile(model('lora', 'lora.safetensors'), { 'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight': [4, 4, 1, 1], 'lora_te_text_model_encoder_layers_0_mlp_fc1.alpha': [1] });
  tensorsFile(model('vae-only', 'vae.safetensors'), { 'decoder.conv_out.weight': [3, 4, 3, 3], 'encoder.conv_in.weight': [4, 3, 3, 3], 'quant_conv.weight': [8, 8, 1, 1] });
  writeEmbeddingSafetensors(model('embedding-as-model', 'an-embedding.safetensors'), { name: 'e', vectors: new Float32Array(2 * 768), count: 2, width: 768, step: 0, checkpointHash: null, checkpointName: null });
  const source = openSafetensors(tinyModelPath);
  try {
    const tensors = [...source.tensors.values()].sort((a, b) => a.fileOffset - b.fileOffset).map((t) => {
      const raw = Buffer.from(source.readRaw(t.name));
      if (t.name === 'model.diffusion_model.out.2.weight') raw.writeFloatLE(Number.NaN, 0);
      return { name: t.name, dtype: t.dtype, shape: t.shape, data: raw };
    });
    writeSafetensors(model('nan-weight', 'nan-weight.safetensors'), tensors, source.metadata);
  } finally {
    source.close();
  }
  writeFileSync(model('ckpt-bomb', 'bomb.ckpt'), noneOpcodeBomb(256));
  // GLOBAL posix.system, then REDUCE with ('echo pwned',): what a malicious pickle does
  writeFileSync(model('ckpt-malicious', 'malicious.ckpt'), zipOf(Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cposix\nsystem\n'), Buffer.from([0x58]), Buffer.from([10, 0, 0, 0]), Buffer.from('echo pwned'), Buffer.from([0x85, 0x52, 0x2e])])));
  writeFileSync(model('ckpt-legacy', 'legacy.ckpt'), Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]));

  const embeddingDir = join(root, 'embeddings');
  mkdirSync(embeddingDir);
  const embeddings = {
    'nan-embedding': join(embeddingDir, 'nan.safetensors'),
    'pt-bomb': join(embeddingDir, 'bomb.pt'),
    'model-as-embedding': tinyModelPath,
    'missing-embedding': join(embeddingDir, 'absent.pt'),
  } satisfies Record<EmbeddingInputId, string>;
  writeEmbeddingSafetensors(embeddings['nan-embedding'], { name: 'x', vectors: new Float32Array(2 * 64).fill(Number.NaN), count: 2, width: 64, step: 0, checkpointHash: null, checkpointName: null });
  writeFileSync(embeddings['pt-bomb'], noneOpcodeBomb(256));

  const folders = {
    'empty-folder': join(root, 'empty'),
    'missing-folder': join(root, 'absent-folder'),
    'file-as-folder': join(root, 'a-file'),
  } satisfies Record<FolderInputId, string>;
  mkdirSync(folders['empty-folder']);
  writeFileSync(folders['file-as-folder'], 'not a folder');
  return { root, dataset, outside, datasetFiles, models, embeddings, folders };
}
