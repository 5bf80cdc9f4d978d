// PNG text chunks, inserted right after IHDR: `parameters` (A1111's generation parameters) and
// `sd-ti-embedding` (the embedding, as A1111 stores it in preview images). Latin-1 text goes in
// tEXt, anything else in an uncompressed iTXt (UTF-8), as PIL's PngInfo.add_text does.
import { crc32 } from '../dataset/crc32';

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

export function readPngTextChunks(png: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let p = 8;
  while (p + 8 <= png.length) {
    const length = png.readUInt32BE(p);
    const type = png.toString('latin1', p + 4, p + 8);
    const data = png.subarray(p + 8, p + 8 + length);
    if (type === 'tEXt') {
      const zero = data.indexOf(0);
      out[data.toString('latin1', 0, zero)] = data.toString('latin1', zero + 1);
    } else if (type === 'iTXt') {
      const zero = data.indexOf(0);
      const key = data.toString('latin1', 0, zero);
      // skip compression flag/method, then language tag and translated keyword (both 0-terminated)
      let q = zero + 3;
      q = data.indexOf(0, q) + 1;
      q = data.indexOf(0, q) + 1;
      out[key] = data.toString('utf8', q);
    }
    if (type === 'IEND') break;
    p += 12 + length;
  }
  return out;
}
