// The loop's generator: src/sd/random.ts's seeded xoshiro128** behind the TrainingRandom
// interface, swappable in place when a saved state is restored.
import { SeededRandom, type RandomState } from '../sd/random';
import type { TrainingRandom } from './loop';

export function createTrainingRandom(seed: number): TrainingRandom {
  let generator = new SeededRandom(seed);
  return {
    uniform: () => generator.nextFloat(),
    normal: () => generator.nextGaussian(),
    saveState: () => generator.state(),
    restoreState: (state: unknown) => {
      generator = SeededRandom.fromState(state as RandomState);
    },
  };
}

/** An independent stream for one purpose (the `once` latent samples, previews), derived from the run seed. */
export function derivedSeed(seed: number, purpose: 'latents' | 'preview'): number {
  return (seed * 2654435761 + (purpose === 'latents' ? 0x9e3779b9 : 0x85ebca6b)) % 2 ** 32;
}
