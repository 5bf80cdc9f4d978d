// What every command must do with every bad input of the corpus: the fault suite's table.
//   refused  — the file is not used; the command says so, naming it, with why and the way out
//              (lint and the server: an error diagnostic on it; train, preprocess, tag: the file
//              is skipped or left unchanged with that message, and the rest is done)
//   warned   — used, with a warning naming it (lint/server: a warning diagnostic; train: a warning)
//   accepted — used as any good file, nothing said about it
// For whole inputs (models, embeddings, folders, flags): the exit status and the message.
import type { DatasetInputId, EmbeddingInputId, FolderInputId, ModelInputId } from './badInputCorpus';

export type Verdict = 'refused' | 'warned' | 'accepted';
export type DatasetCommand = 'lint' | 'server' | 'train' | 'preprocess' | 'tag';
export const datasetCommands: readonly DatasetCommand[] = ['lint', 'server', 'train', 'preprocess', 'tag'];

export interface DatasetExpectation {
  /** What the message must say (in every command that says something). */
  because: RegExp;
  verdicts: Record<DatasetCommand, Verdict>;
}

const everywhere = (verdict: Verdict): Record<DatasetCommand, Verdict> => ({ lint: verdict, server: verdict, train: verdict, preprocess: verdict, tag: verdict });
/** A caption nothing can read: its image is not trained; preprocessing copies the bytes along as they are; tagging leaves it. */
const unreadableCaption: Record<DatasetCommand, Verdict> = { lint: 'refused', server: 'refused', train: 'refused', preprocess: 'accepted', tag: 'refused' };

export const datasetExpectations: Record<DatasetInputId, DatasetExpectation> = {
  'truncated-png': { because: /cannot be used \(.*(read error|not enough data|truncat|premature)/i, verdicts: everywhere('refused') },
  // decoded beside other damaged images, libvips may lose or mix up the words of its error (its
  // error buffer is shared): "most likely truncated", or the other file's data-segment warning
  'truncated-jpeg': { because: /cannot be used \(.*(premature end of JPEG|most likely truncated or corrupt|Corrupt JPEG data)/i, verdicts: everywhere('refused') },
  'corrupt-jpeg-data': { because: /cannot be used \(corrupt image data: Corrupt JPEG data: premature end of data segment/, verdicts: everywhere('refused') },
  'text-named-png': { because: /cannot be used|could not be read as an image/, verdicts: everywhere('refused') },
  'empty-jpeg': { because: /cannot be used|could not be read as an image/, verdicts: everywhere('refused') },
  'symlink-loop': { because: /is a symbolic link that loops back on itself .*Delete the link/, verdicts: everywhere('refused') },
  'dangling-link': { because: /is a symbolic link to .*gone\.png, which does not exist; it is skipped/, verdicts: everywhere('refused') },
  'image-link-outside': { because: /is a symbolic link to .*elsewhere\.png, outside the dataset folder: it is neither read nor edited/, verdicts: everywhere('refused') },
  'caption-link-outside': { because: /is a symbolic link to .*elsewhere\.txt, outside the dataset folder/, verdicts: everywhere('refused') },
  'binary-caption': { because: /looks binary \(NUL byte at offset \d+\)/, verdicts: unreadableCaption },
  'latin1-caption': { because: /is not valid UTF-8 \(invalid byte 0xe9 at offset 10\)/, verdicts: unreadableCaption },
  'utf16-caption': { because: /is UTF-16 text; AUTOMATIC1111 reads captions as UTF-8/, verdicts: unreadableCaption },
  'huge-caption': { because: /is 5\.0 MB; a caption is a short tag list/, verdicts: unreadableCaption },
  'hundred-thousand-tags': { because: /is 9\d\d KB; a caption is a short tag list/, verdicts: unreadableCaption },
  'missing-caption': { because: /has no caption: create `nocaption\.txt`/, verdicts: { lint: 'warned', server: 'warned', train: 'warned', preprocess: 'accepted', tag: 'accepted' } },
  'long-caption': { because: /caption-length|tokens/, verdicts: { lint: 'warned', server: 'warned', train: 'warned', preprocess: 'accepted', tag: 'accepted' } },
};

export interface ExitExpectation {
  exit: number;
  message: RegExp;
}

export const modelExpectations: Record<ModelInputId, { modelInfo: ExitExpectation; train: ExitExpectation }> = {
  'missing-file': { modelInfo: { exit: 2, message: /absent\.safetensors does not exist/ }, train: { exit: 2, message: /absent\.safetensors: no such file or folder/ } },
  'text-named-safetensors': { modelInfo: { exit: 2, message: /notes\.safetensors/ }, train: { exit: 2, message: /notes\.safetensors/ } },
  'truncated-safetensors': { modelInfo: { exit: 2, message: /cut\.safetensors.*(truncated|past the end|shorter)/i }, train: { exit: 2, message: /cut\.safetensors.*(truncated|past the end|shorter)/i } },
  'oversized-header': { modelInfo: { exit: 2, message: /oversized-header\.safetensors/ }, train: { exit: 2, message: /oversized-header\.safetensors/ } },
  'header-past-end': { modelInfo: { exit: 2, message: /header-past-end\.safetensors/ }, train: { exit: 2, message: /header-past-end\.safetensors/ } },
  sdxl: { modelInfo: { exit: 1, message: /sdxl\.safetensors: this looks like an SDXL checkpoint/ }, train: { exit: 2, message: /this looks like an SDXL checkpoint/ } },
  lora: { modelInfo: { exit: 1, message: /lora\.safetensors: this is a LoRA/ }, train: { exit: 2, message: /this is a LoRA/ } },
  'vae-only': { modelInfo: { exit: 1, message: /vae\.safetensors.*VAE/ }, train: { exit: 2, message: /vae\.safetensors.*VAE/ } },
  // model-info describes embeddings too (their A1111 hash); train says it is no model
  'embedding-as-model': { modelInfo: { exit: 0, message: /an-embedding\.safetensors: a textual-inversion embedding/ }, train: { exit: 2, message: /an-embedding\.safetensors.*embedding/ } },
  'nan-weight': { modelInfo: { exit: 1, message: /tensor `model\.diffusion_model\.out\.2\.weight` holds a non-finite weight \(NaN at element 0\)/ }, train: { exit: 2, message: /non-finite weight/ } },
  'ckpt-bomb': { modelInfo: { exit: 1, message: /bomb\.ckpt: not a plausible embedding or checkpoint/ }, train: { exit: 2, message: /bomb\.ckpt: not a plausible embedding or checkpoint/ } },
  'ckpt-malicious': { modelInfo: { exit: 1, message: /malicious\.ckpt.*refused to load — the file calls posix\.system instead of holding tensors \(nothing was run\)/ }, train: { exit: 2, message: /refused to load — the file calls posix\.system/ } },
  'ckpt-legacy': { modelInfo: { exit: 1, message: /legacy\.ckpt.*legacy \(pre-1\.6\) PyTorch file/ }, train: { exit: 2, message: /legacy \(pre-1\.6\) PyTorch file/ } },
};

export const embeddingExpectations: Record<EmbeddingInputId, ExitExpectation> = {
  'nan-embedding': { exit: 2, message: /nan\.safetensors: vector 0 holds a non-finite value/ },
  'pt-bomb': { exit: 2, message: /bomb\.pt: not a plausible embedding or checkpoint/ },
  'model-as-embedding': { exit: 2, message: /model\.safetensors: no embedding tensor found/ },
  'missing-embedding': { exit: 2, message: /absent\.pt: cannot read the embedding \(ENOENT\)/ },
};

/** lint, train, preprocess and tag on a dataset folder that is bad as a whole (the server: see the test). */
export const folderExpectations: Record<FolderInputId, Record<'lint' | 'train' | 'preprocess' | 'tag', ExitExpectation>> = {
  'empty-folder': {
    lint: { exit: 0, message: /0 images, 0 captions/ },
    train: { exit: 2, message: /empty: no images found/ },
    preprocess: { exit: 0, message: /0 of 0 images/ },
    tag: { exit: 2, message: /empty holds no images/ },
  },
  'missing-folder': {
    lint: { exit: 2, message: /cannot open .*absent-folder \(ENOENT\)/ },
    train: { exit: 2, message: /absent-folder: cannot read the dataset folder \(ENOENT\)/ },
    preprocess: { exit: 2, message: /absent-folder: cannot read the source folder \(ENOENT\)/ },
    tag: { exit: 2, message: /cannot read the dataset folder .*absent-folder \(ENOENT\)/ },
  },
  'file-as-folder': {
    lint: { exit: 2, message: /a-file is not a folder/ },
    train: { exit: 2, message: /a-file: not a folder/ },
    preprocess: { exit: 2, message: /a-file: cannot read the source folder \(ENOTDIR\)/ },
    tag: { exit: 2, message: /cannot read the dataset folder .*a-file \(ENOTDIR\)/ },
  },
};

/** train flags on the good dataset. */
export const flagExpectations: { what: string; flags: string[]; exit: number; message: RegExp }[] = [
  { what: 'a learning rate of 1e30', flags: ['--lr', '1e30'], exit: 1, message: /learning rate 1e\+30 is far above[\s\S]*made the embedding explode/ },
  { what: '--lr=-1', flags: ['--lr=-1'], exit: 2, message: /the learning rate must be greater than 0, got -1/ },
  { what: '--lr -0.1', flags: ['--lr', '-0.1'], exit: 2, message: /the learning rate must be greater than 0, got -0\.1/ },
  { what: '65536×65536', flags: ['--width', '65536', '--height', '65536'], exit: 2, message: /width 65536 is beyond the largest training size/ },
  { what: 'a size past this machine’s memory', flags: ['--width', '2048', '--height', '2048'], exit: 2, message: /needs about [\d.]+ GB .*more than this machine's/ },
  { what: '5 text heads on a 64-wide encoder', flags: ['--text-heads', '5'], exit: 2, message: /--text-heads N on the command line/ },
  { what: '61 vectors', flags: ['--vectors', '61'], exit: 2, message: /61 vectors per token is refused/ },
  { what: 'a step count that is not a number', flags: ['--steps', 'many'], exit: 2, message: /--steps expects a number, got "many"/ },
  { what: 'a template file that does not exist', flags: ['--template', 'no-such-template.txt'], exit: 2, message: /template .*no-such-template\.txt.*cannot read/ },
];
