// Embeddings inside PNG images, as AUTOMATIC1111 writes them (modules/textual_inversion/
// image_embedding.py) and as our previews carry them:
//  - the `sd-ti-embedding` text chunk: base64 of Python's json.dumps of the embedding's dict,
//    tensors as {"TORCHTENSOR": nested lists}; Python's json writes NaN, Infinity and -0.0, and
//    puts ", " and ": " between items, so we write (and read) the same;
//  - the pixel form A1111 adds to its image_embeddings/ previews: zlib-compressed JSON, its low
//    and high nibbles in blocks of pixels left and right of the picture (between black columns),
//    each XORed with A1111's LCG sequence. Read only (we do not draw that border).
// Reading is synchronous and needs no image library: PNGs are decoded here (8-bit, not
// interlaced — what PIL writes); other PNGs get a clear error.
import { inflateSync } from 'node:zlib';
import { pythonJsonFloat } from './pythonFloat';

export interface PngEmbeddingData {
  vectors: Float32Array;
  count: number;
  width: number;
  name: string | null;
  step: number | null;
  checkpointHash: string | null;
  checkpointName: string | null;
}

export const embeddingTextKey = 'sd-ti-embedding';
const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && pngSignature.equals(Buffer.from(bytes.subarray(0, 8)));
}

// ---- writing ---------------------------------------------------------------------------------------

/** A value as Python's json.dumps writes it (default separators); numbers are floats unless integers are asked for. */
function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pythonJsonFloat(value);
  if (value instanceof PythonInt) return String(value.value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
}

class PythonInt {
  constructor(readonly value: number) {}
}

/** The `sd-ti-embedding` text: what A1111's embedding_to_b64 makes of the .pt dict it would save. */
export function embeddingTextChunk(embedding: { vectors: Float32Array; count: number; width: number; name: string; step: number | null; checkpointHash: string | null; checkpointName: string | null }): string {
  const rows = Array.from({ length: embedding.count }, (_, r) => Array.from(embedding.vectors.subarray(r * embedding.width, (r + 1) * embedding.width)));
  const data = {
    string_to_token: { '*': new PythonInt(265) },
    string_to_param: { '*': { TORCHTENSOR: rows } },
    name: embedding.name,
    step: new PythonInt(embedding.step ?? 0),
    sd_checkpoint: embedding.checkpointHash,
    sd_checkpoint_name: embedding.checkpointName,
  };
  return Buffer.from(pythonJson(data), 'utf8').toString('base64');
}

// ---- reading ---------------------------------------------------------------------------------------

/** JSON as Python writes it: NaN, Infinity and -Infinity are numbers. */
export function parsePythonJson(text: string): unknown {
  // non-finite numbers become marked strings (a NUL, written as its JSON escape), turned back by the reviver
  const marker = '\u0000py:';
  const replaced = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (token) => (token.startsWith('"') ? token : `"\\u0000py:${token}"`));
  return JSON.parse(replaced, (_key, value) => {
    if (typeof value === 'string' && value.startsWith(marker)) {
      const word = value.slice(marker.length);
      return word === 'NaN' ? Number.NaN : word === 'Infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    }
    return value;
  });
}

interface PngChunk {
  type: string;
  data: Buffer;
}

function pngChunks(png: Buffer, what: string): PngChunk[] {
  if (!isPng(png)) throw new Error(`${what}: not a PNG image`);
  const chunks: PngChunk[] = [];
  let p = 8;
  while (p + 8 <= png.length) {
    const length = png.readUInt32BE(p);
    const type = png.toString('latin1', p + 4, p + 8);
    if (p + 12 + length > png.length) throw new Error(`${what}: the PNG is truncated (its ${type} chunk runs past the end of the file)`);
    chunks.push({ type, data: png.subarray(p + 8, p + 8 + length) });
    p += 12 + length;
    if (type === 'IEND') break;
  }
  return chunks;
}

/** The PNG's text chunks (tEXt, zTXt, iTXt, compressed or not), keyword → text. */
export function pngTexts(png: Buffer, what: string): Map<string, string> {
  const texts = new Map<string, string>();
  for (const { type, data } of pngChunks(png, what)) {
    const zero = data.indexOf(0);
    if (zero < 0 || !['tEXt', 'zTXt', 'iTXt'].includes(type)) continue;
    const key = data.toString('latin1', 0, zero);
    try {
      if (type === 'tEXt') texts.set(key, data.toString('latin1', zero + 1));
      else if (type === 'zTXt') texts.set(key, inflateSync(data.subarray(zero + 2)).toString('latin1'));
      else {
        const compressed = data[zero + 1] === 1;
        let q = zero + 3;
        q = data.indexOf(0, q) + 1; // language tag
        q = data.indexOf(0, q) + 1; // translated keyword
        const body = data.subarray(q);
        texts.set(key, (compressed ? inflateSync(body) : body).toString('utf8'));
      }
    } catch (error) {
      throw new Error(`${what}: the PNG text chunk "${key}" is damaged (${(error as Error).message})`);
    }
  }
  return texts;
}

/** RGB pixels [height, width, 3] of an 8-bit, non-interlaced PNG (grey, RGB, palette, with or without alpha). */
export function decodePngRgb(png: Buffer, what: string): { width: number; height: number; rgb: Uint8Array } {
  const chunks = pngChunks(png, what);
  const header = chunks.find((c) => c.type === 'IHDR');
  if (!header || header.data.length < 13) throw new Error(`${what}: the PNG has no image header`);
  const width = header.data.readUInt32BE(0);
  const height = header.data.readUInt32BE(4);
  const [depth, colour, , , interlace] = header.data.subarray(8, 13);
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number | undefined>)[colour];
  if (depth !== 8 || channels === undefined || interlace !== 0) {
    throw new Error(`${what}: only 8-bit, non-interlaced PNGs can be read here (this one is ${depth}-bit, colour type ${colour}${interlace ? ', interlaced' : ''}); re-save it with an image editor as an ordinary 8-bit PNG`);
  }
  if (width * height > 64 * 2 ** 20) throw new Error(`${what}: ${width}×${height} pixels is too large for an embedding image`);
  const palette = chunks.find((c) => c.type === 'PLTE')?.data;
  if (colour === 3 && !palette) throw new Error(`${what}: a palette PNG without its palette`);
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)), { maxOutputLength: (width * channels + 1) * height + 1024 });
  } catch (error) {
    throw new Error(`${what}: the PNG's image data is damaged (${(error as Error).message})`);
  }
  const stride = width * channels;
  if (raw.length < (stride + 1) * height) throw new Error(`${what}: the PNG's image data is shorter than its ${width}×${height} pixels`);
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prior = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? out[i - channels] : 0;
      const up = prior[i];
      const upLeft = i >= channels ? prior[i - channels] : 0;
      let predictor: number;
      if (filter === 0) predictor = 0;
      else if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      } else throw new Error(`${what}: the PNG's image data is damaged (row ${y} has filter ${filter})`);
      out[i] = (line[i] + predictor) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    if (colour === 3) {
      const entry = pixels[i] * 3;
      rgb.set(palette!.subarray(entry, entry + 3), i * 3);
    } else if (channels < 3) rgb.fill(pixels[i * channels], i * 3, i * 3 + 3);
    else rgb.set(pixels.subarray(i * channels, i * channels + 3), i * 3);
  }
  return { width, height, rgb };
}

/** A1111's LCG stream (m 2³², a 1664525, c 1013904223, seed 0), each value mod 255, low nibble. */
function lcgNibbles(count: number): Uint8Array {
  const out = new Uint8Array(count);
  let seed = 0;
  for (let i = 0; i < count; i++) {
    seed = Number((BigInt(seed) * 1664525n + 1013904223n) % 4294967296n);
    out[i] = (seed % 255) & 0x0f;
  }
  return out;
}

/** The JSON A1111 hid in the pixels (extract_image_data_embed), or null when the image has none. */
export function extractPixelEmbedding(png: Buffer, what: string): unknown {
  const { width, height, rgb } = decodePngRgb(png, what);
  // crop_black: the bounding box of pixels whose three channels are all non-zero
  let top = height;
  let bottom = -1;
  let left = width;
  let right = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (rgb[i] > 0 && rgb[i + 1] > 0 && rgb[i + 2] > 0) {
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
        left = Math.min(left, x);
        right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) [top, bottom, left, right] = [0, height - 1, 0, width - 1];
  const h = bottom - top + 1;
  const w = right - left + 1;
  const nibble = (x: number, y: number, c: number) => rgb[((top + y) * width + left + x) * 3 + c] & 0x0f;
  const blackColumns: number[] = [];
  for (let x = 0; x < w; x++) {
    let sum = 0;
    for (let y = 0; y < h && sum === 0; y++) sum += nibble(x, y, 0) + nibble(x, y, 1) + nibble(x, y, 2);
    if (sum === 0) blackColumns.push(x);
  }
  if (blackColumns.length < 2) return null;
  const lowWidth = blackColumns[0];
  const highStart = blackColumns[blackColumns.length - 1] + 1;
  if (w - highStart !== lowWidth || lowWidth === 0) return null;
  const count = h * lowWidth * 3;
  const key = lcgNibbles(count);
  const bytes = Buffer.alloc(count);
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < lowWidth; x++) {
      for (let c = 0; c < 3; c++, n++) bytes[n] = (((nibble(highStart + x, y, c) ^ key[n]) << 4) | (nibble(x, y, c) ^ key[n])) & 0xff;
    }
  }
  let json: string;
  try {
    json = inflateSync(bytes, { finishFlush: 2 /* Z_SYNC_FLUSH: the blocks are padded past the stream's end */ }).toString('utf8');
  } catch {
    return null;
  }
  return parsePythonJson(json);
}

/** The embedding a PNG carries: its `sd-ti-embedding` text chunk, else A1111's pixel form. */
export function readPngEmbedding(png: Buffer, what: string): PngEmbeddingData {
  const text = pngTexts(png, what).get(embeddingTextKey);
  let data: unknown;
  if (text !== undefined) {
    try {
      data = parsePythonJson(Buffer.from(text, 'base64').toString('utf8'));
    } catch (error) {
      throw new Error(`${what}: its "${embeddingTextKey}" text is not an embedding (${(error as Error).message})`);
    }
  } else {
    data = extractPixelEmbedding(png, what);
    if (data === null) throw new Error(`${what}: this PNG carries no embedding (no "${embeddingTextKey}" text chunk and no AUTOMATIC1111 data border); use the .pt or .safetensors file, or a preview saved with the embedding`);
  }
  return embeddingFromDict(data, what);
}

function embeddingFromDict(data: unknown, what: string): PngEmbeddingData {
  const dict = typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
  const params = dict?.string_to_param;
  if (!dict || typeof params !== 'object' || params === null) throw new Error(`${what}: the embedding in this PNG has no string_to_param`);
  const values = Object.values(params as Record<string, unknown>);
  if (values.length !== 1) throw new Error(`${what}: the embedding in this PNG holds ${values.length} tensors in string_to_param; expected one`);
  const tensor = (values[0] as { TORCHTENSOR?: unknown } | null)?.TORCHTENSOR;
  const rows = Array.isArray(tensor) && tensor.every((r) => typeof r === 'number') ? [tensor] : tensor;
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every((r) => Array.isArray(r) && r.length === (rows[0] as unknown[]).length && r.every((v) => typeof v === 'number'))) {
    throw new Error(`${what}: the embedding in this PNG is not a [vectors, width] list of numbers`);
  }
  const width = (rows[0] as number[]).length;
  const vectors = Float32Array.from((rows as number[][]).flat());
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return { vectors, count: rows.length, width, name: text(dict.name), step: Number.isSafeInteger(dict.step) ? (dict.step as number) : null, checkpointHash: text(dict.sd_checkpoint), checkpointName: text(dict.sd_checkpoint_name) };
}
