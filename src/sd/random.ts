// A seeded pseudo-random generator whose whole state is four 32-bit words (plus a cached
// Gaussian), so the trainer can save it with a checkpoint and resume bit-for-bit.
// Generator: xoshiro128** (Blackman & Vigna), seeded through splitmix32.

export interface RandomState {
  algorithm: 'xoshiro128**';
  /** The four state words, unsigned 32-bit. */
  words: [number, number, number, number];
  /** The second normal of the last Box–Muller pair, not yet handed out. */
  spareGaussian: number | null;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** splitmix32: spreads a seed over the state so nearby seeds give unrelated streams. */
function splitmix32(seed: number): () => number {
  let z = seed >>> 0;
  return () => {
    z = (z + 0x9e3779b9) >>> 0;
    let x = z;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    return (x ^ (x >>> 16)) >>> 0;
  };
}

export class SeededRandom {
  // a typed array keeps the words unboxed: plain fields above 2^31 become heap numbers (10× slower)
  private readonly s = new Uint32Array(4);
  private spare: number | null = null;

  /** `seed`: any safe integer (A1111 seeds are up to 2^32 - 1; larger ones mix in the high bits). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    const low = seed >>> 0;
    const high = Math.floor(seed / 2 ** 32) >>> 0;
    const next = splitmix32(low ^ Math.imul(high, 0x27d4eb2f));
    for (let i = 0; i < 4; i++) this.s[i] = next();
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1; // the all-zero state is a fixed point
  }

  static fromState(state: RandomState): SeededRandom {
    if (state.algorithm !== 'xoshiro128**' || !Array.isArray(state.words) || state.words.length !== 4 || !state.words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)) {
      throw new Error('not a saved xoshiro128** random state (expected {algorithm: "xoshiro128**", words: four unsigned 32-bit integers})');
    }
    if (state.words.every((w) => w === 0)) throw new Error('a xoshiro128** state cannot be all zeros');
    const rng = new SeededRandom(0);
    rng.s.set(state.words);
    rng.spare = state.spareGaussian;
    return rng;
  }

  /** A copy of the state (plain JSON). */
  state(): RandomState {
    return { algorithm: 'xoshiro128**', words: [this.s[0], this.s[1], this.s[2], this.s[3]], spareGaussian: this.spare };
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new Error(`nextInt needs 1 <= n <= 2^32, got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal (Box–Muller; the pair's second value is kept for the next call). */
  nextGaussian(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const u1 = 1 - this.nextFloat(); // (0, 1]: log is finite
    const u2 = this.nextFloat();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.spare = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  }

  /** Fills `out` with N(mean, std²) values and returns it. */
  fillGaussian(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.nextGaussian();
    return out;
  }

  /** Fills `out` with uniform values in [low, high). */
  fillUniform(out: Float32Array, low: number, high: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.nextFloat();
    return out;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}
