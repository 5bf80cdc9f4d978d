// PNG text chunks, inserted right after IHDR: `parameters` (A1111's generation parameters) and
// `sd-ti-embedding` (the embedding, as A1111 stores it in preview images). Latin-1 text goes in
// tEXt, anything else in an uncompressed iTXt (UTF-8), as PIL's PngInfo.add_text does.
import { crc32 } from '../dataset/crc32';
import { pngTexts } from './pngEmbedding';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export function insertPngTextChunks(png: Buffer, texts: Record<string, string>): Buffer {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG image');
  const ihdrEnd = 8 + 8 + png.readUInt32BE(8) + 4;
  const chunks = Object.entries(texts).map(([key, value]) =>
    /^[\x00-\xff]*$/.test(value)
      ? chunk('tEXt', Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0]), Buffer.from(value, 'latin1')]))
      : chunk('iTXt', Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(value, 'utf8')])),
  );
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

/** The PNG's text chunks, keyword → text (tEXt, zTXt and iTXt; see pngEmbedding.ts). */
export function readPngTextChunks(png: Buffer): Record<string, string> {
  return Object.fromEntries(pngTexts(png, 'PNG image'));
}
