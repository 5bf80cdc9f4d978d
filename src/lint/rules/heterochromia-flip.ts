import type { LintRule } from '../rule';
import type { LintFix } from '../types';
import { codeOf } from '../tagEdits';
import { computeLineStarts, positionAt } from '../../dataset/caption';

export const heterochromiaFlipRule: LintRule = {
  id: 'heterochromia-flip',
  defaultSeverity: 'error',
  summary: 'Heterochromia in a caption while mirrored copies are on.',
  doc:
    'Reports a caption tagged `heterochromia` (different eye colours) while the dataset’s training settings add mirrored copies of the images: `"mirror": true` in `.embedding-studio/training.json` in the dataset root. Mirroring swaps left and right, so the embedding learns the eye colours both ways round; the tutorial’s answer to swapped heterochromia is to not use the mirror option. Fix: set `"mirror": false` in the training settings.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const training = context.settings.training;
    if (!training.mirror) return;
    const tag = target.caption.tags.find((t) => /\bheterochromia\b/.test(t.key));
    if (!tag) return;
    const fixes: LintFix[] = [];
    const text = context.index.settingsFile('training.json').text;
    if (training.mirrorValue && text !== undefined) {
      const lines = computeLineStarts(text);
      fixes.push({
        title: 'Turn off mirrored copies in .embedding-studio/training.json',
        edits: [{ file: context.settings.trainingFile, range: { start: positionAt(lines, training.mirrorValue.start), end: positionAt(lines, training.mirrorValue.end) }, newText: 'false' }],
        isPreferred: true,
        scope: 'dataset',
      });
    }
    context.report({
      range: tag.range,
      message: `${codeOf(tag.raw)} while mirrored copies are on (.embedding-studio/training.json "mirror": true): mirroring swaps the eyes, so the embedding learns the colours both ways round. Turn mirroring off.`,
      data: { tag: tag.key },
      fixes,
    });
  },
};
