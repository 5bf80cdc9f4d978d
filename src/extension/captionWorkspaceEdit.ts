// Auto-tag captions written as ONE WorkspaceEdit, so one Undo reverts the whole run; with
// `review`, each entry needs confirmation and VS Code shows its Refactor Preview (the diff) first.
import * as vscode from 'vscode';
import type { CaptionFileChange } from './captionWorkspaceChanges';

export interface CaptionEditResult {
  /** Whether the edit was applied (false: the user discarded the preview, or VS Code refused it). */
  applied: boolean;
  written: string[];
  /** Files that changed since the plan was made (on disk or unsaved in an editor): left alone. */
  conflicts: string[];
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export async function applyCaptionChanges(changes: readonly CaptionFileChange[], options: { review: boolean; title: string }): Promise<CaptionEditResult> {
  const edit = new vscode.WorkspaceEdit();
  const result: CaptionEditResult = { applied: false, written: [], conflicts: [] };
  const replaced: vscode.TextDocument[] = [];
  const metadata = (label: string): vscode.WorkspaceEditEntryMetadata | undefined =>
    options.review ? { needsConfirmation: true, label, description: options.title } : undefined;
  for (const change of changes) {
    const uri = vscode.Uri.file(change.path);
    if (change.kind === 'create') {
      if (await exists(uri)) {
        result.conflicts.push(change.path);
        continue;
      }
      edit.createFile(uri, { ignoreIfExists: false, overwrite: false, contents: Buffer.from(change.newText, 'utf8') }, metadata(change.label));
    } else {
      const document = await vscode.workspace.openTextDocument(uri);
      const text = document.getText();
      if (text !== change.oldText && text !== change.oldText?.replace(/\r?\n/g, document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n')) {
        result.conflicts.push(change.path);
        continue;
      }
      edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(text.length)), change.newText, metadata(change.label));
      replaced.push(document);
    }
    result.written.push(change.path);
  }
  if (edit.size === 0) return { ...result, written: [] };
  result.applied = await vscode.workspace.applyEdit(edit);
  if (!result.applied) return { ...result, written: [] };
  // Training reads the files from disk: save what the edit changed in open documents (not when
  // reviewing: the user saves after looking, and a discarded preview leaves nothing to save).
  if (!options.review) for (const document of replaced) if (document.isDirty) await document.save();
  return result;
}
