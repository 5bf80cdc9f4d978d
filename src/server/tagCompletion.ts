// Completion of the tag being typed: the dataset's tags by how many captions use them, then the
// knowledge base's tags. The item replaces what was typed since the last comma and inserts one
// leading space after a comma, so the caption stays in the `tag, tag, tag` form.
import { CompletionItemKind, type CompletionItem } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { TagUsage } from './datasetLinter';

export interface CompletionSources {
  usage: Map<string, TagUsage>;
  known: Array<{ tag: string; key: string; category: string }>;
  /** Keys of the tags already in this caption (not offered again). */
  present: Set<string>;
  datasetSize: number;
}

export function tagCompletions(document: TextDocument, offset: number, sources: CompletionSources, keyOf: (tag: string) => string): CompletionItem[] {
  const text = document.getText();
  let segmentStart = offset;
  while (segmentStart > 0 && text[segmentStart - 1] !== ',' && text[segmentStart - 1] !== '\n') segmentStart--;
  const afterComma = segmentStart > 0 && text[segmentStart - 1] === ',';
  const typed = keyOf(text.slice(segmentStart, offset));
  const range = { start: document.positionAt(segmentStart), end: document.positionAt(offset) };
  const prefix = afterComma ? ' ' : '';

  const items: CompletionItem[] = [];
  const offered = new Set<string>();
  const byFrequency = [...sources.usage.values()];
  const width = String(Math.max(1, sources.datasetSize)).length + 1;
  for (const usage of byFrequency) {
    if ((sources.present.has(usage.key) && usage.key !== typed) || offered.has(usage.key)) continue;
    // The caption being edited is indexed with its editor text: its own use does not count.
    const count = usage.count - (sources.present.has(usage.key) ? 1 : 0);
    if (count === 0) continue;
    offered.add(usage.key);
    items.push({
      label: usage.tag,
      kind: CompletionItemKind.Value,
      detail: `${count} of ${sources.datasetSize} captions`,
      // Most used first: sort keys count down from a fixed-width large number.
      sortText: `0${String(10 ** width - count).padStart(width + 1, '0')}${usage.tag}`,
      filterText: prefix + usage.tag,
      textEdit: { range, newText: prefix + usage.tag },
    });
  }
  for (const known of sources.known) {
    if (offered.has(known.key) || (sources.present.has(known.key) && known.key !== typed)) continue;
    offered.add(known.key);
    items.push({
      label: known.tag,
      kind: CompletionItemKind.Keyword,
      detail: `knowledge base: ${known.category}`,
      sortText: `1${known.tag}`,
      filterText: prefix + known.tag,
      textEdit: { range, newText: prefix + known.tag },
    });
  }
  return items;
}
