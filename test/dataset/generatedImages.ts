// Test images drawn with sharp from raw pixels, so every expected pixel is known by construction.
import sharp from 'sharp';

export type Rgb = [number, number, number];

/** Raw RGB pixels from a function of (x, y). */
export function rawImage(width: number, height: number, colourAt: (x: number, y: number) => Rgb): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colourAt(x, y);
      const i = 3 * (y * width + x);
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  return data;
}

export function fromRaw(width: number, height: number, colourAt: (x: number, y: number) => Rgb): sharp.Sharp {
  return sharp(rawImage(width, height, colourAt), { raw: { width, height, channels: 3 } });
}

export async function pixelsOf(file: string | Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

export function pixelAt(image: { data: Buffer; width: number; channels: number }, x: number, y: number): Rgb {
  const i = image.channels * (y * image.width + x);
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
}

/** Deterministic pseudo-random bytes (a tiny LCG), for high-detail noise patches. */
export function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 24;
  };
}

export function near(actual: Rgb, expected: Rgb, tolerance: number): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance);
}
