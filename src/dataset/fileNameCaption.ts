// The caption AUTOMATIC1111 gives an image without a caption file (modules/textual_inversion/
// dataset.py): the file name without its extension, less a leading run of digits and dashes and
// the whitespace after it (`^[-\d]+\s*`); with the default `dataset_filename_word_regex` (empty)
// nothing else changes, so underscores stay. A1111's quirk is kept: the run can eat the digits of
// the first tag (`00012-1girl_solo` gives `girl_solo`), which the missing-caption rule points out.

// Python's \d and \s in a str pattern: any decimal digit, any whitespace (str.isspace)
const leadingNumber = /^[-\p{Nd}]+[\s\x1c-\x1f\x85]*/u;

export interface FileNameCaption {
  caption: string;
  /** When the stripped number ran into the first word: that word and the digits it lost (`1girl`, `1`). */
  lostDigits?: { word: string; digits: string };
}

/** `stem`: the file name without its extension. */
export function captionFromFileName(stem: string): FileNameCaption {
  const match = leadingNumber.exec(stem);
  if (!match) return { caption: stem };
  const caption = stem.slice(match[0].length);
  const digits = /\p{Nd}+$/u.exec(match[0])?.[0];
  const rest = /^[\p{L}\p{N}_]+/u.exec(caption)?.[0];
  if (digits && rest && match[0] === match[0].trimEnd()) {
    // the digits after the last dash belonged to the first word when nothing separates them
    return { caption, lostDigits: { word: digits + rest.split('_')[0], digits } };
  }
  return { caption };
}
