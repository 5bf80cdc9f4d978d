import type { LintRule } from '../rule';
import { isMultiplePeopleTag, peopleCountOf } from '../knowledge/peopleCount';
import { codeOf } from '../tagEdits';

export const multiplePeopleRule: LintRule = {
  id: 'multiple-people',
  defaultSeverity: 'warning',
  summary: 'A caption that says the image shows more than one person.',
  doc:
    'Reports people-count tags that mean several people are in the picture (`2girls`, `multiple boys`, `group`, `crowd`, `couple`, `solo focus`…) and captions that count one girl and one boy at the same time. The tutorial wants clear images of a single person: with two people in the frame the embedding learns a mix of both. Crop the image to the one character or replace it; there is no automatic fix, since the tag is true of the picture.',
  targets: ['caption'],
  check(target, context) {
    if (target.kind !== 'caption' || !target.caption) return;
    const singles: string[] = [];
    for (const tag of target.caption.tags) {
      if (isMultiplePeopleTag(tag.key)) {
        context.report({
          range: tag.range,
          message: `${codeOf(tag.raw)}: this image shows more than one person, so the embedding learns them all. Crop it to the one character or use another image.`,
          data: { tag: tag.key },
        });
      } else if (peopleCountOf(tag.key) === 1 && tag.key !== 'solo') {
        if (singles.length > 0 && !singles.includes(tag.key)) {
          context.report({
            range: tag.range,
            message: `${codeOf(singles[0])} and ${codeOf(tag.raw)} together mean two people in this image. Crop it to the one character or use another image.`,
            data: { tag: tag.key },
          });
        }
        singles.push(tag.key);
      }
    }
  },
};
