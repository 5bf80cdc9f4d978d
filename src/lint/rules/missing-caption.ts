import { basename, extname } from 'node:path';
import type { LintRule } from '../rule';
import { codeOf } from '../tagEdits';
import { captionFromFileName } from '../../dataset/fileNameCaption';

const start = { line: 0, character: 0 };

export const missingCaptionRule: LintRule = {
  id: 'missing-caption',
  defaultSeverity: 'warning',
  summary: 'An image without a caption file.',
  doc:
    'Reports an image with no caption file of the same name in the same folder (`img001.png` needs `img001.txt`). Without one, AUTOMATIC1111 (and training here) uses the file name as the caption: without its extension and a leading run of digits and dashes, underscores kept (`00012-1girl_solo.png` gives `girl_solo`: the number also takes the `1` of `1girl`, which the message points out). That teaches the embedding little and can leak the file name into it. Write the caption (or run "Auto-tag Images"), or move the image out of the dataset. The problem is reported on the image itself.',
  targets: ['image'],
  check(target, context) {
    if (target.kind !== 'image') return;
    // an image nothing can use (unreadable-file says why) needs no caption advice
    if (target.entry.problem) return;
    if (context.dataset.hasCaption(target.entry.stemKey)) return;
    const name = basename(target.file);
    const stem = basename(name, extname(name));
    const fromName = captionFromFileName(stem);
    const quirk = fromName.lostDigits ? ` (the leading number also takes the ${codeOf(fromName.lostDigits.digits)} of ${codeOf(fromName.lostDigits.word)})` : '';
    const used = fromName.caption === '' ? 'an empty caption' : `the caption ${codeOf(fromName.caption)} from its file name${quirk}`;
    context.report({
      range: { start, end: start },
      message: `${codeOf(name)} has no caption: create ${codeOf(stem + '.txt')} beside it (or auto-tag the images), or training (here as in A1111) uses ${used}.`,
    });
  },
};
