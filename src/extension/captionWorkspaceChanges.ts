// The vscode-free half of writing auto-tag captions as one WorkspaceEdit: a caption plan becomes
// a list of file changes (create a new caption, or replace an existing caption's whole text),
// with the label the Refactor Preview shows. The extension turns each into a WorkspaceEdit entry.
import { basename } from 'node:path';
import type { CaptionEdit } from '../dataset/captionWriting';

export interface CaptionFileChange {
  path: string;
  kind: 'create' | 'replace';
  /** The text the file had when planned (null for 'create'): a document that differs is left alone. */
  oldText: string | null;
  newText: string;
  /** Shown by VS Code's Refactor Preview for this entry. */
  label: string;
}

export function captionFileChanges(edits: readonly CaptionEdit[]): CaptionFileChange[] {
  return edits.map((edit) => {
    const added = edit.addedTags.length;
    return {
      path: edit.file,
      kind: edit.oldText === null ? 'create' : 'replace',
      oldText: edit.oldText,
      newText: edit.newText,
      label: edit.oldText === null ? `New caption for ${basename(edit.image)} (${added} tag${added === 1 ? '' : 's'})` : `Add ${added} tag${added === 1 ? '' : 's'} to ${basename(edit.file)}`,
    };
  });
}
