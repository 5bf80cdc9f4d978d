// Stands in for `sharp` in the GPU-check bundle only (prepare bundles it as
// .gpu-check/app/node_modules/sharp). The real sharp needs libvips (6.4 MB compressed), and the
// bundle, the Node binary and ONNX Runtime must travel with the repository in 64 MiB; the check
// is about the GPU providers, not image decoding. So this reads and writes 8-bit, non-interlaced
// PNGs (what prepare writes for the check's dataset, decoded here and with sharp to the same
// pixels: test/scripts/gpuCheck.test.ts) through node:zlib, and refuses everything else —
// resampling included — with a message that says so.
import { deflateSync, inflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

const refuse = (what: string): never => {
  throw new Error(`the GPU check's sharp stand-in cannot ${what} (it reads and writes 8-bit PNGs of the training size only; see scripts/gpuCheck/sharpStandIn.ts)`);
};

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function decodePng(bytes: Buffer): Pixels {
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== 0x89504e47) refuse('read anything but PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels: 3 | 4 = 3;
  const idat: Buffer[] = [];
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) refuse(`read a PNG of bit depth ${depth}, colour type ${colour}, interlace ${interlace}`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : refuse(`undo PNG filter ${filter}`);
      out[y * stride + x] = (line[x] + predictor) & 0xff;
    }
  }
  return { data: out, width, height, channels };
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  let crc = 0xffffffff;
  for (const byte of Buffer.concat([head.subarray(4), body])) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 0);
  return Buffer.concat([head, body, tail]);
}

function encodePng(p: Pixels): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(p.width, 0);
  header.writeUInt32BE(p.height, 4);
  header.set([8, p.channels === 4 ? 6 : 2, 0, 0, 0], 8);
  const stride = p.width * p.channels;
  const raw = Buffer.alloc((stride + 1) * p.height);
  for (let y = 0; y < p.height; y++) p.data.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

interface RawInput {
  raw?: { width: number; height: number; channels: number };
}

class Pipeline {
  private pixels: Pixels | undefined;
  private output: 'raw' | 'png' = 'raw';
  private background: [number, number, number] = [0, 0, 0];
  private flattenAlpha = false;
  private dropAlpha = false;
  private resizeTo: [number, number] | undefined;

  constructor(
    private readonly input: string | Buffer,
    private readonly options: RawInput = {},
  ) {}

  private load(): Pixels {
    if (this.pixels) return this.pixels;
    if (this.options.raw) {
      const { width, height, channels } = this.options.raw;
      if (channels !== 3 && channels !== 4) refuse(`take raw input of ${channels} channels`);
      this.pixels = { data: Buffer.from(this.input as Buffer), width, height, channels: channels as 3 | 4 };
    } else this.pixels = decodePng(typeof this.input === 'string' ? readFileSync(this.input) : this.input);
    return this.pixels;
  }

  toColourspace(space: string): this {
    if (space !== 'srgb') refuse(`convert to ${space}`);
    return this;
  }

  flatten(options: { background?: string } = {}): this {
    const hex = /^#([0-9a-f]{6})$/i.exec(options.background ?? '#000000') ?? refuse(`flatten onto ${options.background}`);
    const value = parseInt(hex[1], 16);
    this.background = [(value >> 16) & 255, (value >> 8) & 255, value & 255];
    this.flattenAlpha = true;
    return this;
  }

  removeAlpha(): this {
    this.dropAlpha = true;
    return this;
  }

  resize(width: number, height: number): this {
    this.resizeTo = [width, height];
    return this;
  }

  raw(): this {
    this.output = 'raw';
    return this;
  }

  png(): this {
    this.output = 'png';
    return this;
  }

  async metadata(): Promise<{ width: number; height: number; channels: number; format: string }> {
    const p = this.load();
    return { width: p.width, height: p.height, channels: p.channels, format: 'png' };
  }

  async toBuffer(options: { resolveWithObject?: boolean } = {}): Promise<Buffer | { data: Buffer; info: { width: number; height: number; channels: number } }> {
    let p = this.load();
    if (this.resizeTo && (this.resizeTo[0] !== p.width || this.resizeTo[1] !== p.height)) refuse(`resample ${p.width}×${p.height} to ${this.resizeTo[0]}×${this.resizeTo[1]}`);
    if (p.channels === 4 && (this.flattenAlpha || this.dropAlpha)) {
      const rgb = Buffer.alloc(p.width * p.height * 3);
      for (let i = 0; i < p.width * p.height; i++) {
        const alpha = this.flattenAlpha ? p.data[i * 4 + 3] / 255 : 1;
        for (let c = 0; c < 3; c++) rgb[i * 3 + c] = Math.round(p.data[i * 4 + c] * alpha + this.background[c] * (1 - alpha));
      }
      p = { data: rgb, width: p.width, height: p.height, channels: 3 };
    }
    const data = this.output === 'png' ? encodePng(p) : p.data;
    return options.resolveWithObject ? { data, info: { width: p.width, height: p.height, channels: p.channels } } : data;
  }
}

function sharp(input: string | Buffer, options?: RawInput): Pipeline {
  return new Pipeline(input, options);
}

// CommonJS, like sharp itself: `import sharp from 'sharp'` takes module.exports as the default
export = Object.assign(sharp, { decodePng, encodePng });
