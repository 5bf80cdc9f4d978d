import type { LintRule } from '../rule';

export const bestDatasetSize = { min: 30, max: 50 };
export const tooFewImages = 10;

const start = { line: 0, character: 0 };

export const datasetSizeRule: LintRule = {
  id: 'dataset-size',
  defaultSeverity: 'information',
  summary: 'Fewer than 30 or more than 50 images (warning under 10).',
  doc:
    'Counts the dataset’s images. The tutorial: 30–50 images is best, and quality matters more than quantity. Under 10 images (warning) the embedding overfits to those few pictures; between 10 and 29, or above 50, it is information: more images of mixed quality dilute the character, fewer give less variety. Reported once, on the dataset folder.',
  targets: ['dataset'],
  check(target, context) {
    if (target.kind !== 'dataset') return;
    const n = context.dataset.imageCount();
    if (n === 0 || (n >= bestDatasetSize.min && n <= bestDatasetSize.max)) return;
    const range = { start, end: start };
    if (n < tooFewImages) {
      context.report({ range, severity: 'warning', message: `Only ${n} image${n === 1 ? '' : 's'}: under ${tooFewImages} the embedding overfits to these pictures. Collect 30–50 clear images of the character.`, data: { images: n } });
    } else if (n < bestDatasetSize.min) {
      context.report({ range, message: `${n} images: 30–50 is best. A few more clear images of the character would help.`, data: { images: n } });
    } else {
      context.report({ range, message: `${n} images: 30–50 is best, and quality matters more than quantity. Keep the clearest ones.`, data: { images: n } });
    }
  },
};
