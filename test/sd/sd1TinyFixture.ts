// The sd1-tiny reference fixture (test/fixtures/sd1-tiny: float64 reference numbers of the
// original implementations, read in place) for the SD graph tests. The fixture set's float16
// copy is not stored: it is an exact cast of model.safetensors (every F32 tensor rounded to the
// nearest half, ties to even; position_ids stays int64), so fp16FixtureModel() derives it once
// per test process; fixtureFiles.test.ts checks the result byte for byte against the SHA-256 of
// the original (SHA256SUMS).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headsFromFixtureConfig, inferSd1Architecture, type Sd1Architecture } from '../../src/sd/architecture';
import { writeFloat16Checkpoint } from '../../src/sd/float16Checkpoint';
import { openSafetensors, type SafetensorsFile } from '../../src/sd/safetensors';
import type { HostTensor } from '../../src/onnx';

export const fixtureDir = join(__dirname, '..', 'fixtures', 'sd1-tiny');
export const fixtureModel = join(fixtureDir, 'model.safetensors');

let fp16Model: string | undefined;

/** The path of model-fp16.safetensors, derived on first use into a folder removed when this process exits. */
export function fp16FixtureModel(): string {
  if (fp16Model) return fp16Model;
  const dir = mkdtempSync(join(tmpdir(), 'es-sd1-tiny-fp16-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'model-fp16.safetensors');
  writeFloat16Checkpoint(fixtureModel, path);
  fp16Model = path;
  return path;
}

export interface Sd1TinyFixture {
  model: SafetensorsFile;
  cases: SafetensorsFile;
  arch: Sd1Architecture;
  float(name: string): HostTensor & { data: Float32Array };
  ints(name: string): BigInt64Array;
  close(): void;
}

/** Opens the fixture with its float32 model, or with `'fp16'` its derived float16 copy. */
export function openSd1TinyFixture(weights: 'fp32' | 'fp16' = 'fp32'): Sd1TinyFixture {
  const config = JSON.parse(readFileSync(join(fixtureDir, 'config.json'), 'utf8'));
  const model = openSafetensors(weights === 'fp16' ? fp16FixtureModel() : fixtureModel);
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
