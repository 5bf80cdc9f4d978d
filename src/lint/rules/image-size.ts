import { basename } from 'node:path';
import type { LintRule } from '../rule';
import { codeOf } from '../tagEdits';

export const trainingResolution = 512;
/** Longer side over shorter side above which the centre crop throws away a large part. */
export const maxAspectRatio = 1.25;

const start = { line: 0, character: 0 };

export const imageSizeRule: LintRule = {
  id: 'image-size',
  defaultSeverity: 'warning',
  summary: 'An image smaller than 512 px or far from square.',
  doc:
    'Checks each image against the 512×512 training resolution of SD 1.x. A shorter side under 512 px gets upscaled by preprocessing, and the embedding learns the blur (warning). An image whose long side is more than 1.25 times its short side loses its edges to the centre crop (information): crop it yourself to keep what matters, as the tutorial suggests for cut-off parts. The problem is reported on the image.',
  targets: ['image'],
  check(target, context) {
    if (target.kind !== 'image') return;
    const { width, height } = target.entry;
    if (!width || !height) return;
    const name = codeOf(basename(target.file));
    const short = Math.min(width, height);
    const ratio = Math.max(width, height) / short;
    const range = { start, end: start };
    if (short < trainingResolution) {
      context.report({
        range,
        message: `${name} is ${width}×${height}: its shorter side is under ${trainingResolution} px, so preprocessing upscales it and the embedding learns the blur. Use a larger source image.`,
        data: { width, height },
      });
    }
    if (ratio > maxAspectRatio) {
      const lost = Math.round((1 - 1 / ratio) * 100);
      context.report({
        range,
        severity: 'information',
        message: `${name} is ${width}×${height}, far from square: the ${trainingResolution}×${trainingResolution} centre crop drops ${lost}% of it. Crop it yourself to keep what matters.`,
        data: { width, height },
      });
    }
  },
};
