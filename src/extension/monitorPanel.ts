// The training monitor's VS Code side: one webview panel showing one session (a live training or
// a run folder reopened from disk). The protocol work is MonitorFeed's; this file creates the panel
// with its CSP and resource roots, turns preview paths into webview URIs, and hands the page's
// actions to a callback.
// Restored after a reload of the window by a WebviewPanelSerializer; no retainContextWhenHidden.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { RunFolderError, replayRunFolder } from '../protocol/runFolderReplay';
import type { TrainerEvent } from '../protocol/trainerMessages';
import type { MonitorAction, MonitorSession } from '../protocol/webviewMessages';
import { MonitorFeed } from './monitorFeed';
import { createNonce, monitorHtml } from './monitorHtml';

export const monitorViewType = 'embeddingStudio.monitor';

export interface MonitorPanelHost {
  /** The extension's folder (context.extensionUri): dist/webview and media are served from it. */
  extensionUri: vscode.Uri;
  /** A user action from the page. Trainer commands: forward with trainerCommandOf(action). */
  onAction(action: MonitorAction, panel: MonitorPanel): void;
  /** Where invalid page messages are reported. */
  log?(message: string): void;
}

export class MonitorPanel implements vscode.Disposable {
  private static current: MonitorPanel | undefined;

  private readonly feed: MonitorFeed;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeListeners: (() => void)[] = [];

  /** The open monitor, or a new one beside the editor. */
  static show(host: MonitorPanelHost): MonitorPanel {
    if (MonitorPanel.current) {
      MonitorPanel.current.panel.reveal(undefined, true);
      return MonitorPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(monitorViewType, 'Training monitor', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {});
    return new MonitorPanel(host, panel);
  }

  /** The open monitor, if any (e.g. to forward a running trainer's events). */
  static get open(): MonitorPanel | undefined {
    return MonitorPanel.current;
  }

  /** Adopts a panel VS Code restored (see registerMonitorSerializer). */
  static revive(host: MonitorPanelHost, panel: vscode.WebviewPanel): MonitorPanel {
    MonitorPanel.current?.dispose();
    return new MonitorPanel(host, panel);
  }

  private constructor(
    private readonly host: MonitorPanelHost,
    readonly panel: vscode.WebviewPanel,
  ) {
    MonitorPanel.current = this;
    this.feed = new MonitorFeed({
      post: (message) => void panel.webview.postMessage(message),
      imageUri: (path) => panel.webview.asWebviewUri(vscode.Uri.file(path)).toString(),
    });
    this.configureWebview(null);
    panel.webview.html = monitorHtml({
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(host.extensionUri, 'dist', 'webview', 'monitor.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(host.extensionUri, 'media', 'monitor.css')).toString(),
      cspSource: panel.webview.cspSource,
      nonce: createNonce((size) => randomBytes(size)),
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const received = this.feed.receive(raw);
        if ('action' in received) this.host.onAction(received.action, this);
        else if ('invalid' in received) this.host.log?.(`Training monitor: ignored a message from the page: ${received.invalid}`);
      }),
      // A hidden webview is torn down (no retainContextWhenHidden); it says `ready` when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.feed.pageHidden();
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** The page may load our bundle and stylesheet, and the run folder's preview images. */
  private configureWebview(runDir: string | null): void {
    const roots = [vscode.Uri.joinPath(this.host.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.host.extensionUri, 'media')];
    if (runDir) roots.push(vscode.Uri.file(runDir));
    this.panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: roots };
  }

  /** The session the panel shows (its id changes with each startSession). */
  get currentSession(): MonitorSession | null {
    return this.feed.session;
  }

  /** Starts showing a new session (a training that starts, or a run folder); returns its id. */
  startSession(session: { title: string; runDir: string | null; live: boolean }): string {
    this.panel.title = session.title;
    this.configureWebview(session.runDir);
    return this.feed.startSession(session);
  }

  /** Adds trainer events to the current session (forward every TrainerProcess 'event' here). */
  appendEvents(events: TrainerEvent[]): void {
    this.feed.appendEvents(events);
  }

  /** The trainer process attached to the session started or exited. */
  setLive(live: boolean): void {
    this.feed.setLive(live);
  }

  /** Shows a message in the page (e.g. why an action could not be carried out). */
  notify(level: 'info' | 'warning' | 'error', message: string): void {
    this.feed.notify(level, message);
  }

  /** Reopens a finished run from its folder. Throws RunFolderError with the file and the way out. */
  async showRunFolder(runDir: string, title?: string): Promise<void> {
    const events = await replayRunFolder(runDir);
    const started = events.find((e): e is Extract<TrainerEvent, { type: 'started' }> => e.type === 'started');
    this.startSession({ title: title ?? `${started?.embeddingName ?? 'Run'} (run folder)`, runDir, live: false });
    this.appendEvents(events);
  }

  onDidDispose(listener: () => void): void {
    this.disposeListeners.push(listener);
  }

  dispose(): void {
    if (MonitorPanel.current === this) MonitorPanel.current = undefined;
    this.feed.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    for (const listener of this.disposeListeners.splice(0)) listener();
  }
}

/** The run folder a restored page was showing, read defensively from its saved state. */
export function runDirOfPageState(state: unknown): string | null {
  const session = (state as { model?: { session?: { runDir?: unknown } } } | undefined)?.model?.session;
  return typeof session?.runDir === 'string' ? session.runDir : null;
}

/**
 * Restores the monitor after a window reload. `restore` decides what it shows: attach a trainer
 * still running for that run folder, else (the default) reopen the folder from disk.
 */
export function registerMonitorSerializer(
  host: MonitorPanelHost,
  restore: (panel: MonitorPanel, runDir: string | null) => Promise<void> = async (panel, runDir) => {
    if (runDir) await panel.showRunFolder(runDir);
  },
): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(monitorViewType, {
    async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel, state: unknown) {
      const panel = MonitorPanel.revive(host, webviewPanel);
      try {
        await restore(panel, runDirOfPageState(state));
      } catch (error) {
        const message = error instanceof RunFolderError ? error.message : `Could not reopen the run: ${(error as Error).message}`;
        panel.startSession({ title: 'Training monitor', runDir: null, live: false });
        panel.notify('error', message);
      }
    },
  });
}
