import { basename, extname } from 'node:path';
import type { LintRule } from '../rule';
import { codeOf } from '../tagEdits';

const start = { line: 0, character: 0 };

export const missingCaptionRule: LintRule = {
  id: 'missing-caption',
  defaultSeverity: 'warning',
  summary: 'An image without a caption file.',
  doc:
    'Reports an image with no caption file of the same name in the same folder (`img001.png` needs `img001.txt`). Without one, AUTOMATIC1111 trains the image with its file name as the caption, which teaches the embedding nothing useful and can leak the file name into it. Write the caption (or run "Auto-tag Images"), or move the image out of the dataset. The problem is reported on the image itself.',
  targets: ['image'],
  check(target, context) {
    if (target.kind !== 'image') return;
    // an image nothing can use (unreadable-file says why) needs no caption advice
    if (target.entry.problem) return;
    if (context.dataset.hasCaption(target.entry.stemKey)) return;
    const name = basename(target.file);
    context.report({
      range: { start, end: start },
      message: `${codeOf(name)} has no caption: create ${codeOf(basename(name, extname(name)) + '.txt')} beside it (or auto-tag the images), or A1111 trains it with its file name as the caption.`,
    });
  },
};
