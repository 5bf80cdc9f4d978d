// What the training code needs from a random number generator: uniform draws in [0, 1).
// The seeded generator with serialisable state lives in src/sd/random.ts; tests pass scripted
// sequences so that expectations can be worked out by hand.
export interface UniformSource {
  /** A uniform draw in [0, 1). */
  uniform(): number;
}

/** Replays a fixed list of draws (for tests and for hand-checked examples). */
export function scriptedSource(draws: number[]): UniformSource {
  let i = 0;
  return {
    uniform() {
      if (i >= draws.length) throw new Error(`scripted random source ran out after ${draws.length} draws`);
      return draws[i++];
    },
  };
}
