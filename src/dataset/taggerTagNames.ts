// Tagger tag names as they go into a caption: the published names use underscores
// (`long_hair`) and bare parentheses (`hatsune_miku_(vocaloid)`); captions for A1111 want spaces
// and escaped parentheses (bare ones are attention syntax). Kaomoji keep their underscores:
// `^_^` with a space is a different, meaningless tag.

/** Kaomoji tags from the WD14 tag lists, whose underscores are part of the face. */
const kaomoji = new Set(['0_0', '(o)_(o)', '+_+', '+_-', '._.', '<o>_<o>', '<|>_<|>', '=_=', '>_<', '3_3', '6_9', '>_o', '@_@', '^_^', 'o_o', 'u_u', 'x_x', '|_|', '||_||']);

export function isKaomoji(name: string): boolean {
  // Besides the known list, a short name without letters (`;_;`, `0_0`) is a face, not words.
  return kaomoji.has(name) || (name.length <= 7 && name.includes('_') && !/[a-z]{2}/i.test(name) && !/[a-z]/i.test(name.replace(/[ox]/gi, '')));
}

export interface TagNameStyle {
  replaceUnderscores: boolean;
  escapeParentheses: boolean;
}

export const defaultTagNameStyle: TagNameStyle = { replaceUnderscores: true, escapeParentheses: true };

export function captionTagName(name: string, style: TagNameStyle = defaultTagNameStyle): string {
  let text = style.replaceUnderscores && !isKaomoji(name) ? name.replace(/_/g, ' ') : name;
  if (style.escapeParentheses) text = text.replace(/(?<!\\)([()])/g, '\\$1');
  return text;
}

/** A comparison key that ignores the differences captionTagName introduces (and case). */
export function tagKey(name: string): string {
  return name
    .replace(/\\([()])/g, '$1')
    .replace(/_/g, ' ')
    .trim()
    .toLowerCase();
}
