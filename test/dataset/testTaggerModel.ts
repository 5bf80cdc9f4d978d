// A tiny WD14-shaped tagger built with our graph builder, whose scores are computable by hand:
// NHWC BGR 0–255 input → NCHW → 1×1 conv dividing by 255 → global mean per channel
// m = [mB, mG, mR] in [0, 1] → logits = m·W + b → sigmoid (or raw logits for the range check).
// So score(tag) = sigmoid(wB·mB + wG·mG + wR·mR + bias), with the table below.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { Graph, serializeModel } from '../../src/onnx/index';

/** name, category (9 rating, 0 general, 4 character), weights for [B, G, R], bias. */
export const testTags: [string, number, [number, number, number], number][] = [
  ['general', 9, [1, 1, 1], -1],
  ['sensitive', 9, [0, 0, 2], -1.5],
  ['questionable', 9, [0, 0, 0], -3],
  ['explicit', 9, [0, 0, 0], -4],
  ['red_theme', 0, [-4, -4, 8], -2],
  ['green_theme', 0, [-4, 8, -4], -2],
  ['blue_theme', 0, [8, -4, -4], -2],
  ['white_background', 0, [3, 3, 3], -6],
  ['^_^', 0, [0, 4, 0], -3],
  ['hatsune_miku_(vocaloid)', 4, [4, 4, -6], -4],
  ['hakurei_reimu', 4, [-3, -3, 6], -1.5],
];

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** The score a tag must get for an image whose mean colour (0–255, RGB) is given. */
export function expectedScores(meanRgb: [number, number, number]): number[] {
  const [r, g, b] = meanRgb.map((v) => v / 255);
  return testTags.map(([, , [wB, wG, wR], bias]) => sigmoid(wB * b + wG * g + wR * r + bias));
}

export function selectedTagsCsv(): string {
  return ['tag_id,name,category,count', ...testTags.map(([name, category], i) => `${1000 + i},${name.includes(',') ? `"${name}"` : name},${category},${5000 - i}`)].join('\n') + '\n';
}

export interface TestTaggerOptions {
  size: number;
  /** A number for a fixed batch (v2 exports: 1), or null for a dynamic one (v3). */
  batch: number | null;
  /** Output probabilities (as published) or raw logits. */
  sigmoidOutput: boolean;
  inputName: string;
  outputName: string;
}

export function testTaggerModel(options: TestTaggerOptions): Uint8Array {
  const { size } = options;
  const g = new Graph('test_tagger');
  const x = g.input(options.inputName, 'float32', [options.batch ?? 1, size, size, 3]);
  const nchw = g.transpose(x, [0, 3, 1, 2]);
  const scale = [1 / 255, 0, 0, 0, 1 / 255, 0, 0, 0, 1 / 255];
  const scaled = g.conv(nchw, g.constant(scale, [3, 3, 1, 1], 'float32'));
  const means = g.reduceMean(scaled, [2, 3], false);
  const weights: number[] = [];
  for (let c = 0; c < 3; c++) for (const [, , w] of testTags) weights.push(w[c]);
  const logits = g.add(g.matMul(means, g.constant(weights, [3, testTags.length], 'float32')), g.constant(testTags.map((t) => t[3]), [testTags.length], 'float32'));
  g.output(options.sigmoidOutput ? g.sigmoid(logits) : logits, options.outputName);
  const bytes = serializeModel(g);
  if (options.batch !== null) return bytes;
  // The builder's shapes are static; a dynamic batch is declared on the interface afterwards
  // (every op above is batch-agnostic).
  const model = onnx.ModelProto.decode(bytes);
  for (const info of [...model.graph!.input!, ...model.graph!.output!]) info.type!.tensorType!.shape!.dim![0] = { dimParam: 'batch' };
  return onnx.ModelProto.encode(model).finish();
}

export function writeTestTagger(dir: string, options: TestTaggerOptions): { model: string; tags: string } {
  const model = join(dir, 'model.onnx');
  const tags = join(dir, 'selected_tags.csv');
  writeFileSync(model, testTaggerModel(options));
  writeFileSync(tags, selectedTagsCsv());
  return { model, tags };
}

/** Shapes of the two published generations. */
export const v2Like: TestTaggerOptions = { size: 448, batch: 1, sigmoidOutput: true, inputName: 'input_1:0', outputName: 'predictions_sigmoid' };
export const v3Like: TestTaggerOptions = { size: 64, batch: null, sigmoidOutput: true, inputName: 'input', outputName: 'output' };
