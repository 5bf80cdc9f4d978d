// How a caption writes multi-word tags, so fixes insert tags the way the file already does.
import type { ParsedCaption } from '../dataset/caption';

export function prefersUnderscores(caption: ParsedCaption): boolean {
  let underscores = 0;
  let spaces = 0;
  for (const tag of caption.tags) {
    if (tag.usesUnderscores) underscores++;
    else if (tag.usesSpaces) spaces++;
  }
  return underscores > spaces;
}
