// The one canonical layout of a caption file: `tag, tag, tag` on one line, no empty tags, each
// tag's inner whitespace collapsed to single spaces, and a final line break only when the file
// already ended with one. Tag text is otherwise kept as written (case, underscores, escapes).
import { parseCaption, type ParsedCaption } from './caption';

export function formatCaption(text: string): string {
  return formatParsedCaption(parseCaption(text));
}

export function formatParsedCaption(caption: ParsedCaption): string {
  const body = caption.tags.map((tag) => collapseWhitespace(tag.raw)).join(', ');
  if (body === '') return '';
  const ending = /\r\n$/.test(caption.text) ? '\r\n' : /[\r\n]$/.test(caption.text) ? '\n' : '';
  return body + ending;
}

export function collapseWhitespace(raw: string): string {
  return raw.replace(/[\s\u00a0\u3000]+/g, ' ');
}
