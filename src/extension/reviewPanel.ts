// The crop review's VS Code side: one webview panel showing a dataset folder's images with their
// captions and lint problems (the caption language server's diagnostics). The page only sends
// requests (validated with parseReviewToHost); opening a caption, deleting an image (to the
// trash, after a modal confirm) and saving a hand-drawn square crop happen here.
// CSP, nonce and localResourceRoots as in the training monitor: our bundle and the folder only.
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import * as vscode from 'vscode';
import { captionFileFor, type CaptionExtension } from '../dataset/captionWriting';
import { decodeCaptionBytes } from '../dataset/captionDecode';
import { isImageFile } from '../dataset/imageLoading';
import { readImageInfo } from '../dataset/imageInfo';
import { saveManualCrop } from '../dataset/manualCrop';
import { parseReviewToHost, type HostToReviewMessage, type ReviewItem, type ReviewProblem, type ReviewSeverity } from '../protocol/reviewMessages';
import { reviewHtml } from '../../webview/review/reviewHtml';
import { createNonce } from './monitorHtml';

export const reviewViewType = 'embeddingStudio.cropReview';

export interface ReviewPanelHost {
  extensionUri: vscode.Uri;
  captionExtension: CaptionExtension;
  log?(message: string): void;
}

const severityNames: Record<vscode.DiagnosticSeverity, ReviewSeverity> = {
  [vscode.DiagnosticSeverity.Error]: 'error',
  [vscode.DiagnosticSeverity.Warning]: 'warning',
  [vscode.DiagnosticSeverity.Information]: 'information',
  [vscode.DiagnosticSeverity.Hint]: 'hint',
};

function problemsOf(uri: vscode.Uri): ReviewProblem[] {
  return vscode.languages.getDiagnostics(uri).map((d) => {
    const code = typeof d.code === 'object' ? String(d.code.value) : d.code !== undefined ? String(d.code) : undefined;
    return code !== undefined ? { severity: severityNames[d.severity], message: d.message, code } : { severity: severityNames[d.severity], message: d.message };
  });
}

/**
 * Moves the files to the trash; where the file system has none (a remote or code-server), asks
 * once before deleting them for good. False when the user declined.
 */
async function deleteFiles(files: readonly string[]): Promise<boolean> {
  try {
    for (const file of files) await vscode.workspace.fs.delete(vscode.Uri.file(file), { useTrash: true });
    return true;
  } catch (error) {
    const left = files.filter((f) => existsSync(f));
    if (left.length === 0) return true;
    const answer = await vscode.window.showWarningMessage(
      `${left.map((f) => basename(f)).join(' and ')} could not be moved to the trash (${(error as Error).message}). Delete permanently?`,
      { modal: true },
      'Delete Permanently',
    );
    if (answer !== 'Delete Permanently') return false;
    for (const file of left) await vscode.workspace.fs.delete(vscode.Uri.file(file), { useTrash: false });
    return true;
  }
}

export class ReviewPanel implements vscode.Disposable {
  private static current: ReviewPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly images = new Set<string>();
  private diagnosticsTimer: NodeJS.Timeout | undefined;
  /** Bumped on each re-crop, so the page does not show the cached old image. */
  private readonly versions = new Map<string, number>();

  /** The open review panel (revealed), or a new one for `folder`; then call showFolder(folder). */
  static show(host: ReviewPanelHost, folder: string): ReviewPanel {
    if (ReviewPanel.current) {
      ReviewPanel.current.panel.reveal();
      return ReviewPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(reviewViewType, 'Crop review', vscode.ViewColumn.Active, {});
    return new ReviewPanel(host, panel, folder);
  }

  private constructor(
    private readonly host: ReviewPanelHost,
    readonly panel: vscode.WebviewPanel,
    private folder: string,
  ) {
    ReviewPanel.current = this;
    this.configureWebview();
    panel.webview.html = reviewHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(host.extensionUri, 'dist', 'webview', 'review.js')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: createNonce((size) => randomBytes(size)),
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.receive(raw)),
      vscode.languages.onDidChangeDiagnostics((event) => {
        if (event.uris.some((uri) => uri.scheme === 'file' && dirname(uri.fsPath) === this.folder)) this.scheduleRefresh();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  private configureWebview(): void {
    this.panel.webview.options = {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(this.host.extensionUri, 'dist', 'webview'), vscode.Uri.file(this.folder)],
    };
  }

  private post(message: HostToReviewMessage): void {
    void this.panel.webview.postMessage(message);
  }

  async showFolder(folder: string): Promise<void> {
    if (folder !== this.folder) {
      this.folder = folder;
      this.configureWebview();
    }
    await this.sendAll();
  }

  private scheduleRefresh(): void {
    clearTimeout(this.diagnosticsTimer);
    this.diagnosticsTimer = setTimeout(() => void this.sendAll(), 300);
  }

  private async sendAll(): Promise<void> {
    const names = (await fs.readdir(this.folder)).filter(isImageFile).sort();
    const items = (await Promise.all(names.map((name) => this.item(join(this.folder, name))))).filter((i): i is ReviewItem => i !== undefined);
    this.images.clear();
    for (const i of items) this.images.add(i.id);
    this.panel.title = `Crop review: ${basename(this.folder)}`;
    this.post({ type: 'items', folder: this.folder, items });
  }

  private captionOf(image: string): string {
    return captionFileFor(image, this.host.captionExtension);
  }

  private async item(image: string): Promise<ReviewItem | undefined> {
    const info = await readImageInfo(image, basename(image));
    const captionFile = this.captionOf(image);
    let caption: string | null = null;
    try {
      const decoded = decodeCaptionBytes(await fs.readFile(captionFile), captionFile);
      caption = decoded.ok ? decoded.text : '';
    } catch {
      caption = null;
    }
    const problems = [...problemsOf(vscode.Uri.file(image)), ...problemsOf(vscode.Uri.file(captionFile))];
    if (!info.ok) problems.unshift({ severity: 'error', message: info.problem });
    let imageUri = this.panel.webview.asWebviewUri(vscode.Uri.file(image));
    const version = this.versions.get(image);
    if (version) imageUri = imageUri.with({ query: `v=${version}` });
    return { id: image, name: basename(image), imageUri: imageUri.toString(), width: info.ok ? info.width : 0, height: info.ok ? info.height : 0, caption, problems };
  }

  private async receive(raw: unknown): Promise<void> {
    let message;
    try {
      message = parseReviewToHost(raw);
    } catch (error) {
      this.host.log?.(`Crop review: ignored a message from the page: ${(error as Error).message}`);
      return;
    }
    try {
      if (message.type === 'ready') return await this.sendAll();
      // Ids are image paths; only the ones we sent are acted on (the page is untrusted input).
      const image = message.id;
      if (!this.images.has(image)) return;
      if (message.type === 'openCaption') {
        const file = this.captionOf(image);
        const exists = await fs.stat(file).then(() => true, () => false);
        const uri = exists ? vscode.Uri.file(file) : vscode.Uri.file(file).with({ scheme: 'untitled' });
        await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside, preview: false });
      } else if (message.type === 'deleteImage') {
        const caption = this.captionOf(image);
        const hasCaption = await fs.stat(caption).then(() => true, () => false);
        const answer = await vscode.window.showWarningMessage(
          `Delete ${basename(image)}${hasCaption ? ` and its caption ${basename(caption)}` : ''}?`,
          { modal: true, detail: 'The files go to the trash.' },
          'Delete',
        );
        if (answer !== 'Delete') return;
        const files = hasCaption ? [image, caption] : [image];
        if (!(await deleteFiles(files))) return;
        this.images.delete(image);
        this.post({ type: 'itemRemoved', id: image });
      } else {
        // The crop replaces the image; a non-PNG source becomes a PNG of the same name.
        const target = extname(image).toLowerCase() === '.png' ? image : join(dirname(image), `${basename(image, extname(image))}.png`);
        if (target !== image && (await fs.stat(target).then(() => true, () => false))) {
          void vscode.window.showWarningMessage(`Embedding Studio: ${basename(target)} already exists; the crop of ${basename(image)} was not saved.`);
          return;
        }
        await saveManualCrop({ source: image, region: message.region, target });
        this.versions.set(target, Date.now());
        if (target !== image) {
          await deleteFiles([image]);
          await this.sendAll();
        } else {
          const item = await this.item(image);
          if (item) this.post({ type: 'itemChanged', item });
        }
      }
    } catch (error) {
      void vscode.window.showErrorMessage(`Embedding Studio: Crop review: ${(error as Error).message}`);
    }
  }

  dispose(): void {
    if (ReviewPanel.current === this) ReviewPanel.current = undefined;
    clearTimeout(this.diagnosticsTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
