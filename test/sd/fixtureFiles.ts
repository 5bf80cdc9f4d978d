// The sd1-tiny fixture model and the CLIP vocabulary, as the WebGPU tests and the GPU check find
// them: one place to change when they move (the fixture folder itself is sd1TinyFixture's).
import { join } from 'node:path';
import { fixtureDir } from './sd1TinyFixture';

export { fixtureDir };
export const fixtureModel = join(fixtureDir, 'model.safetensors');
export const clipVocabulary = join(__dirname, '../../resources/clip/bpe_simple_vocab_16e6.txt.gz');
/** The fixture's attention heads (config.json): text encoder 4, UNet 2. */
export const fixtureHeads = { text: 4, unet: 2 } as const;
