// Shared access to ../shared/fixtures/sd1-tiny for the SD graph tests (read in place, never copied).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { headsFromFixtureConfig, inferSd1Architecture, type Sd1Architecture } from '../../src/sd/architecture';
import { openSafetensors, type SafetensorsFile } from '../../src/sd/safetensors';
import type { HostTensor } from '../../src/onnx';

export const fixtureDir = join(__dirname, '../../../shared/fixtures/sd1-tiny');

export interface Sd1TinyFixture {
  model: SafetensorsFile;
  cases: SafetensorsFile;
  arch: Sd1Architecture;
  float(name: string): HostTensor & { data: Float32Array };
  ints(name: string): BigInt64Array;
  close(): void;
}

export function openSd1TinyFixture(modelFile = 'model.safetensors'): Sd1TinyFixture {
  const config = JSON.parse(readFileSync(join(fixtureDir, 'config.json'), 'utf8'));
  const model = openSafetensors(join(fixtureDir, modelFile));
  const cases = openSafetensors(join(fixtureDir, 'cases.safetensors'));
  return {
    model,
    cases,
    arch: inferSd1Architecture(model, headsFromFixtureConfig(config)),
    float: (name) => ({ dtype: 'float32', shape: cases.tensors.get(name)!.shape, data: cases.readFloat32(name) }),
    ints: (name) => {
      const raw = cases.readRaw(name);
      const out = new BigInt64Array(raw.length / 8);
      new Uint8Array(out.buffer).set(raw);
      return out;
    },
    close() {
      model.close();
      cases.close();
    },
  };
}

export function relL2(y: ArrayLike<number>, reference: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < reference.length; i++) {
    num += (y[i] - reference[i]) ** 2;
    den += reference[i] ** 2;
  }
  return Math.sqrt(num / den);
}
