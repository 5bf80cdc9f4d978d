import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomCheckpointSpecs, sd15CheckpointConfig, tinyCheckpointConfig, writeRandomCheckpoint, type RandomCheckpointConfig } from '../../src/sd/randomCheckpoint';
import { openSafetensors } from '../../src/sd/safetensors';
import { loadCheckpoint } from '../../src/sd/checkpoint';
import { inferSd1Architecture } from '../../src/sd/architecture';
import { fixtureDir, fp16FixtureModel } from './sd1TinyFixture';

const scratch = mkdtempSync(join(tmpdir(), 'random-checkpoint-'));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

const tinyPath = join(scratch, 'tiny.safetensors');
writeRandomCheckpoint(tinyPath, tinyCheckpointConfig, 20240611);

function std(values: Float32Array): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

test('tiny checkpoint has exactly the fixture key set, shapes and dtypes', () => {
  const ours = openSafetensors(tinyPath);
  const fixture = openSafetensors(join(fixtureDir, 'model.safetensors'));
  try {
    assert.deepEqual([...ours.tensors.keys()].sort(), [...fixture.tensors.keys()].sort());
    for (const info of fixture.tensors.values()) {
      const mine = ours.tensors.get(info.name)!;
      assert.deepEqual(mine.shape, info.shape, info.name);
      assert.equal(mine.dtype, info.dtype, info.name);
    }
    assert.equal(ours.metadata.format, 'pt');
    assert.deepEqual([...ours.readFloat32('cond_stage_model.transformer.text_model.embeddings.position_ids')], Array.from({ length: 77 }, (_, i) => i));
  } finally {
    ours.close();
    fixture.close();
  }
});

test('schedule buffers equal the fixture checkpoint (written by ldm register_schedule)', () => {
  const ours = openSafetensors(tinyPath);
  const fixture = openSafetensors(join(fixtureDir, 'model.safetensors'));
  try {
    for (const name of [...fixture.tensors.keys()].filter((n) => !n.includes('.'))) {
      const a = ours.readFloat32(name);
      const b = fixture.readFloat32(name);
      for (let t = 0; t < b.length; t++) {
        const scale = Math.max(Math.abs(b[t]), 1e-6);
        assert.ok(Math.abs(a[t] - b[t]) / scale < 2e-6, `${name}[${t}]: ${a[t]} vs ${b[t]}`);
      }
    }
  } finally {
    ours.close();
    fixture.close();
  }
});

test('weights have the scales of the reference init (torch defaults): per-tensor std within 0.5–2× the fixture', () => {
  const ours = openSafetensors(tinyPath);
  const fixture = openSafetensors(join(fixtureDir, 'model.safetensors'));
  try {
    let checked = 0;
    for (const info of fixture.tensors.values()) {
      if (info.shape.length < 2 || info.dtype !== 'F32' || info.name.includes('position_ids')) continue;
      const ratio = std(ours.readFloat32(info.name)) / std(fixture.readFloat32(info.name));
      assert.ok(ratio > 0.5 && ratio < 2, `${info.name}: std ratio ${ratio}`);
      checked++;
    }
    assert.ok(checked > 150);
    // norms near 1, as the fixture's
    const norm = ours.readFloat32('model.diffusion_model.out.0.weight');
    assert.ok(Math.abs(norm.reduce((a, b) => a + b, 0) / norm.length - 1) < 0.1);
  } finally {
    ours.close();
    fixture.close();
  }
});

test('architecture inference reads the tiny checkpoint as it reads the fixture', () => {
  const ours = loadCheckpoint(tinyPath);
  const fixture = loadCheckpoint(join(fixtureDir, 'model.safetensors'));
  try {
    // head counts are not in the weights: the fixture's config.json says 4 text heads, 2 UNet heads
    const heads = { textHeads: 4, unetHeads: 2 };
    assert.deepEqual({ ...inferSd1Architecture(ours, heads) }, { ...inferSd1Architecture(fixture, heads) });
  } finally {
    ours.close();
    fixture.close();
  }
});

test('deterministic in the seed; fp16 variant has the dtypes of model-fp16.safetensors', () => {
  const again = join(scratch, 'again.safetensors');
  writeRandomCheckpoint(again, tinyCheckpointConfig, 20240611);
  assert.ok(readFileSync(again).equals(readFileSync(tinyPath)));
  const other = join(scratch, 'other.safetensors');
  writeRandomCheckpoint(other, tinyCheckpointConfig, 1);
  assert.ok(!readFileSync(other).equals(readFileSync(tinyPath)));

  const half = join(scratch, 'half.safetensors');
  writeRandomCheckpoint(half, { ...tinyCheckpointConfig, dtype: 'F16' }, 5);
  const ours = openSafetensors(half);
  const fixture = openSafetensors(fp16FixtureModel());
  try {
    for (const info of fixture.tensors.values()) assert.equal(ours.tensors.get(info.name)!.dtype, info.dtype, info.name);
    assert.ok(ours.readFloat32('model.diffusion_model.time_embed.0.weight').every(Number.isFinite));
  } finally {
    ours.close();
    fixture.close();
  }
});

test('SD1.5 config: published parameter counts and landmark tensor shapes', () => {
  const specs = randomCheckpointSpecs(sd15CheckpointConfig);
  const count = (prefix: string): number => specs
    .filter((s) => s.name.startsWith(prefix) && s.dtype !== 'I64')
    .reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
  // UNet2DConditionModel 859,520,964; AutoencoderKL 83,653,863; CLIPTextModel (ViT-L/14) 123,060,480
  assert.equal(count('model.diffusion_model.'), 859_520_964);
  assert.equal(count('first_stage_model.'), 83_653_863);
  assert.equal(count('cond_stage_model.'), 123_060_480);
  const shape = (name: string): number[] | undefined => specs.find((s) => s.name === name)?.shape;
  assert.deepEqual(shape('model.diffusion_model.output_blocks.2.1.conv.weight'), [1280, 1280, 3, 3]); // level 3: no attention
  assert.deepEqual(shape('model.diffusion_model.output_blocks.5.2.conv.weight'), [1280, 1280, 3, 3]);
  assert.deepEqual(shape('model.diffusion_model.output_blocks.8.2.conv.weight'), [640, 640, 3, 3]);
  assert.deepEqual(shape('model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight'), [320, 768]);
  assert.deepEqual(shape('first_stage_model.decoder.up.3.block.0.conv1.weight'), [512, 512, 3, 3]);
  assert.equal(shape('model.diffusion_model.input_blocks.10.1.proj_in.weight'), undefined);
  assert.ok(specs.every((s) => s.dtype === 'F16' || s.name.endsWith('position_ids')));
});

test('configs with other sizes produce a checkpoint architecture inference accepts', () => {
  const config: RandomCheckpointConfig = {
    textEncoder: { vocabSize: 49408, positions: 77, width: 48, layers: 2, mlpWidth: 96 },
    unet: { inChannels: 4, outChannels: 4, modelChannels: 32, channelMult: [1, 2, 2], numResBlocks: 2, attentionLevels: [false, true, true], transformerDepth: 2, contextDim: 48 },
    vae: { ch: 32, chMult: [1, 2], numResBlocks: 1, zChannels: 4, embedDim: 4, inChannels: 3, outChannels: 3 },
    dtype: 'F16',
  };
  const path = join(scratch, 'odd.safetensors');
  writeRandomCheckpoint(path, config, 3);
  const ckpt = loadCheckpoint(path);
  try {
    const arch = inferSd1Architecture(ckpt, { textHeads: 4, unetHeads: 4 });
    assert.equal(arch.textEncoder.layers, 2);
    assert.equal(arch.textEncoder.width, 48);
    assert.deepEqual(arch.unet.levels.map((l) => l.attention), [false, true, true]);
    assert.equal(arch.unet.numResBlocks, 2);
    assert.equal(arch.unet.contextDim, 48);
    assert.deepEqual(arch.vae.chMult, [1, 2]);
  } finally {
    ckpt.close();
  }
});
