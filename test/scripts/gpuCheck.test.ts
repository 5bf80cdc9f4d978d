// The GPU check's parts that can be checked without a GPU: its sharp stand-in reads the check's
// training images to the pixels sharp reads and writes PNGs sharp reads back. (The fp16 fixture it
// derives on the GPU machine is src/sd/float16Checkpoint's, checked in test/sd/fixtureFiles.test.ts.)
// (The whole run step is rehearsed on SwiftShader by `scripts/gpu-check.sh rehearse`.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import standIn from '../../scripts/gpuCheck/sharpStandIn';
import { writeDemoDataset } from '../../src/train/demoDataset';

const root = mkdtempSync(join(tmpdir(), 'es-gpu-check-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the sharp stand-in decodes the check\'s training images exactly as sharp does, and writes PNGs sharp reads back', async () => {
  const data = join(root, 'data');
  await writeDemoDataset(data, 3, 64, 9);
  for (const file of readdirSync(data).filter((f) => f.endsWith('.png'))) {
    const path = join(data, file);
    const real = await sharp(path).toColourspace('srgb').flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const ours = (await standIn(path).toColourspace('srgb').flatten({ background: '#ffffff' }).removeAlpha().raw().toBuffer({ resolveWithObject: true })) as typeof real;
    assert.deepEqual(ours.info.width === real.info.width && ours.info.height === real.info.height && ours.info.channels === real.info.channels, true);
    assert.ok(ours.data.equals(real.data), `${file}: pixels differ`);
    const png = (await standIn(ours.data, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer()) as Buffer;
    assert.ok((await sharp(png).raw().toBuffer()).equals(real.data), 'sharp reads the stand-in\'s PNG back to the same pixels');
  }
  await assert.rejects(standIn(join(data, 'demo001.png')).resize(32, 32).raw().toBuffer(), /cannot resample 64×64 to 32×32/);
  await assert.rejects(standIn(readFileSync(join(data, 'demo001.txt'))).raw().toBuffer(), /cannot read anything but PNG/);
});
