// Read-only markdown pages (rule documentation, dataset statistics) shown in the markdown
// preview. They live under our own URI scheme so that no untitled, "unsaved" editor is left
// behind and showing a page again replaces its previous content.
import * as vscode from 'vscode';

export const markdownPageScheme = 'embedding-studio-page';

export class MarkdownPages implements vscode.TextDocumentContentProvider {
  private readonly pages = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  register(): vscode.Disposable {
    return vscode.Disposable.from(vscode.workspace.registerTextDocumentContentProvider(markdownPageScheme, this), this.changed);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.pages.get(uri.toString()) ?? '';
  }

  /** Shows `content` as the page `name` (e.g. `Dataset statistics`) in the markdown preview. */
  async show(name: string, content: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: markdownPageScheme, path: `/${name}.md` });
    this.pages.set(uri.toString(), content);
    this.changed.fire(uri);
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  }
}
