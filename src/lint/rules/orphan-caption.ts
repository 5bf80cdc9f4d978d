import { basename, extname } from 'node:path';
import type { LintRule } from '../rule';
import { codeOf } from '../tagEdits';

const start = { line: 0, character: 0 };

export const orphanCaptionRule: LintRule = {
  id: 'orphan-caption',
  defaultSeverity: 'warning',
  summary: 'A caption file without an image.',
  doc:
    'Reports a caption file (`.txt` or `.caption`) with no image of the same name in the same folder. It trains nothing: usually the image was renamed, deleted or converted to another format. Rename the caption to match its image, restore the image, or delete the caption.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption') return;
    if (context.dataset.hasImage(target.entry.stemKey)) return;
    const name = basename(target.file);
    const end = target.caption?.tags[0]?.range.end ?? start;
    context.report({
      range: { start, end: end.line === 0 ? end : start },
      message: `No image named ${codeOf(basename(name, extname(name)) + '.png')} (or .jpg, .webp…) beside ${codeOf(name)}: this caption trains nothing. Rename it to match its image, or delete it.`,
    });
  },
};
