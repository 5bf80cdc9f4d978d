// Auto-tag captions written as ONE WorkspaceEdit, so one Undo reverts the whole run; with
// `review`, each entry needs confirmation and VS Code shows its Refactor Preview (the diff) first:
// entries start unticked there, and only the ones the user ticks are applied.
import * as vscode from 'vscode';
import type { CaptionFileChange } from './captionWorkspaceChanges';

export interface CaptionEditResult {
  /** Whether the edit was applied (false: the user discarded the preview, or VS Code refused it). */
  applied: boolean;
  written: string[];
  /** Files that changed since the plan was made (on disk or unsaved in an editor): left alone. */
  conflicts: string[];
  /** With `review`: entries the user left unticked in the Refactor Preview. */
  declined: string[];
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
  const result: CaptionEditResult = { applied: false, written: [], conflicts: [], declined: [] };
  const planned: { change: CaptionFileChange; document?: vscode.TextDocument }[] = [];
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
      planned.push({ change });
    } else {
      const document = await vscode.workspace.openTextDocument(uri);
      const text = document.getText();
      if (text !== change.oldText && text !== change.oldText?.replace(/\r?\n/g, document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n')) {
        result.conflicts.push(change.path);
        continue;
      }
      edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(text.length)), change.newText, metadata(change.label));
      planned.push({ change, document });
    }
  }
  if (edit.size === 0) return result;
  result.applied = await vscode.workspace.applyEdit(edit);
  if (!result.applied) return result;
  // What was written: in the preview the user may have ticked only some entries (or none).
  for (const { change, document } of planned) {
    const done = document ? sameText(document, change.newText) : await exists(vscode.Uri.file(change.path));
    (done ? result.written : result.declined).push(change.path);
  }
  // Training reads the files from disk: save what the edit changed (after a review too: Apply in
  // the preview is the user's confirmation; unticked entries are not dirty and stay as they were).
  for (const { change, document } of planned) if (document?.isDirty && result.written.includes(change.path)) await document.save();
  return result;
}

function sameText(document: vscode.TextDocument, text: string): boolean {
  return document.getText() === text.replace(/\r?\n/g, document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n');
}
