import type { LintRule } from '../rule';
import type { CaptionTag } from '../../dataset/caption';
import { backgroundKindOf } from '../knowledge/backgrounds';
import { codeOf } from '../tagEdits';

export const complexBackgroundRule: LintRule = {
  id: 'complex-background',
  defaultSeverity: 'information',
  summary: 'A busy background (scenery, outdoors, crowd…).',
  doc:
    'Points out captions whose tags describe a busy background (`detailed background`, `scenery`, `outdoors`, `indoors`, `cityscape`, `crowd`…). The tutorial: simple backgrounds work best, because whatever stays in the picture is learned along with the character. This is information, not an error: a few such images are fine when the character is clear, and tagging the background (as here) already helps. Prefer images on `simple background` / `white background`, or crop closer.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const busy: CaptionTag[] = [];
    for (const tag of target.caption.tags) if (backgroundKindOf(tag.key) === 'complex') busy.push(tag);
    if (busy.length === 0) return;
    context.report({
      range: busy[0].range,
      message: `Busy background (${busy.map((t) => codeOf(t.raw)).join(', ')}): simple backgrounds train best, since the background is learned along with the character.`,
      data: { tag: busy[0].key },
    });
  },
};
