// `embedding-studio create-embedding --model FILE --name NAME [--vectors N] [--init-text TEXT]
// [--out DIR] [--pt] [--overwrite]`: A1111's "Create embedding" — vectors initialised from the
// token embeddings of the init text, written as NAME.safetensors (emb_params), never replacing
// an existing file unless --overwrite.
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CliCommand } from '../cliCommand';
import { inferTextEncoderArchitecture } from '../../sd/architecture';
import { loadCheckpoint } from '../../sd/checkpoint';
import { assertCanWriteEmbedding, createEmbedding } from '../../train/createEmbedding';
import { writeEmbeddingPt, writeEmbeddingSafetensors } from '../../train/embeddingFile';
import { locateClipTokenizer } from '../../train/tokenizerLocation';

const usage = `Usage: embedding-studio create-embedding --model FILE --name NAME [--vectors N] [--init-text TEXT] [--out DIR] [--pt] [--overwrite] [--tokenizer PATH]

Creates an empty embedding as AUTOMATIC1111 does: N vectors (default 1) from the token embeddings
of the initialisation text (default "*"). Vectors per token: 1–2 give a vague outline, 3–5 are
clearer, 6 or more make the single tag usable; more than 60 is refused.
`;

export const createEmbeddingCommand: CliCommand = {
  name: 'create-embedding',
  summary: 'Create an embedding from an initialisation text (A1111 "Create embedding")',
  async run(args) {
    let values;
    try {
      values = parseArgs({
        args,
        options: {
          model: { type: 'string' }, name: { type: 'string' }, vectors: { type: 'string', default: '1' }, 'init-text': { type: 'string', default: '*' },
          out: { type: 'string', default: '.' }, pt: { type: 'boolean', default: false }, overwrite: { type: 'boolean', default: false }, tokenizer: { type: 'string', default: '' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }).values;
    } catch (error) {
      process.stderr.write(`embedding-studio create-embedding: ${(error as Error).message}\n\n${usage}`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(usage);
      return 0;
    }
    const vectors = Number(values.vectors);
    if (!values.model || !values.name || !Number.isInteger(vectors)) {
      process.stderr.write(`embedding-studio create-embedding: --model, --name and a whole --vectors are required\n\n${usage}`);
      return 2;
    }
    if (!/^[^\\/:*?"<>|]+$/.test(values.name)) {
      process.stderr.write(`embedding-studio create-embedding: "${values.name}" is not usable as a file name\n`);
      return 2;
    }
    try {
      const out = resolve(values.out!);
      const path = join(out, `${values.name}.safetensors`);
      assertCanWriteEmbedding(path, values.overwrite!);
      if (values.pt) assertCanWriteEmbedding(join(out, `${values.name}.pt`), values.overwrite!);
      const checkpoint = loadCheckpoint(values.model);
      try {
        // only the token table's width is used here; the head count does not matter
        const text = inferTextEncoderArchitecture(checkpoint, { textHeads: 1 });
        const { tokenizer } = locateClipTokenizer(values.tokenizer!, values.model, checkpoint.tokenizerFolder);
        const table = checkpoint.readFloat32(`${text.prefix}embeddings.token_embedding.weight`);
        const { embedding, advice } = createEmbedding({
          name: values.name,
          vectors,
          initText: values['init-text']!,
          width: text.width,
          tokenizer,
          tokenEmbedding: (id) => table.slice(id * text.width, (id + 1) * text.width),
          checkpointName: checkpoint.name,
          checkpointHash: checkpoint.hashes().shortHash,
        });
        mkdirSync(out, { recursive: true });
        writeEmbeddingSafetensors(path, embedding);
        process.stdout.write(`${path}: ${vectors}×${text.width}, initialised from "${values['init-text']}"\n${advice}\n`);
        if (values.pt) {
          writeEmbeddingPt(join(out, `${values.name}.pt`), embedding);
          process.stdout.write(`${join(out, `${values.name}.pt`)}: A1111 .pt\n`);
        }
      } finally {
        checkpoint.close();
      }
      return 0;
    } catch (error) {
      process.stderr.write(`embedding-studio create-embedding: ${(error as Error).message}\n`);
      return /refused|already exists/.test((error as Error).message) ? 1 : 2;
    }
  },
};
