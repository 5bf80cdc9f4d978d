// The editor side of training: owns the run registry, connects a run to the monitor panel (and
// the panel's buttons to the run), reports a crash with its log and an offer to resume, and
// stops every trainer when the extension deactivates. Commands and views go through it.
import * as vscode from 'vscode';
import { basename, dirname, join } from 'node:path';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isImageFile } from '../../dataset/imageLoading';
import type { TrainerEvent } from '../../protocol/trainerMessages';
import { trainerCommandOf, type MonitorAction } from '../../protocol/webviewMessages';
import type { Config } from '../config';
import { MonitorPanel, registerMonitorSerializer, type MonitorPanelHost } from '../monitorPanel';
import type { TrainerExit } from '../trainerProcess';
import { listRunFolders, runsFolderOf, type RunFolderSummary } from './runFolders';
import { logTail, RunRegistry, runStateFileName, type TrainingRun } from './runRegistry';

export class TrainingSession implements vscode.Disposable {
  readonly registry: RunRegistry;
  private readonly disposables: vscode.Disposable[] = [];
  /** Which run the monitor's current session belongs to. */
  private monitorRun: { sessionId: string; run: TrainingRun } | undefined;
  private readonly runFoldersChanged = new vscode.EventEmitter<void>();
  /** Fires when run folders may have changed on disk (a run saved, finished, or was started). */
  readonly onDidChangeRunFolders = this.runFoldersChanged.event;
  private readonly monitorHost: MonitorPanelHost;

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly config: Config,
    readonly output: vscode.LogOutputChannel,
  ) {
    this.monitorHost = {
      extensionUri: extension.extensionUri,
      onAction: (action, panel) => void this.onMonitorAction(action, panel),
      log: (message) => output.warn(message),
    };
    this.registry = new RunRegistry({ workerPath: this.distFile('trainer.js') });
    this.registry.on('added', (run) => this.watch(run));
    this.disposables.push(registerMonitorSerializer(this.monitorHost, (panel, runDir) => this.restoreMonitor(panel, runDir)), this.runFoldersChanged);
  }

  distFile(name: string): string {
    return join(this.extension.extensionPath, 'dist', name);
  }


  private watch(run: TrainingRun): void {
    const s = run.snapshot;
    this.output.info(`Training "${s.name}" started: dataset ${s.datasetDir}, run folder ${s.runDir}, log ${run.process.logPath}`);
    run.on('event', (event) => {
      if (event.type === 'saved' || event.type === 'started') this.runFoldersChanged.fire();
      if (event.type === 'log' && event.level === 'warning') this.output.warn(`${s.name}: ${event.message}`);
      if (event.type === 'guidance') this.showGuidance(run, event);
    });
    run.process.on('invalid', (text) => this.output.warn(`${s.name}: the trainer sent an invalid message: ${text}`));
    run.on('exit', (exit) => void this.onExit(run, exit));
  }

  private async onExit(run: TrainingRun, exit: TrainerExit): Promise<void> {
    this.runFoldersChanged.fire();
    const s = run.snapshot;
    if (exit.kind === 'finished') {
      this.output.info(`Training "${s.name}" ended (${exit.event.reason}) at step ${exit.event.step}: ${exit.event.embeddingPath ?? 'no embedding'}`);
      const choice = await vscode.window.showInformationMessage(
        `Embedding Studio: "${s.name}" ${exit.event.reason === 'completed' ? 'finished' : exit.event.reason === 'stopped' ? 'stopped' : `ended (${exit.event.reason})`} at step ${exit.event.step}.`,
        ...(exit.event.embeddingPath ? ['Copy to Embeddings Folder', 'Reveal Embedding'] : []),
      );
      if (choice === 'Copy to Embeddings Folder' && exit.event.embeddingPath) await vscode.commands.executeCommand('embeddingStudio.copyEmbeddingToFolder', exit.event.embeddingPath);
      if (choice === 'Reveal Embedding' && exit.event.embeddingPath) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(exit.event.embeddingPath));
      return;
    }
    if (s.status === 'stopped') return;
    const reason = exit.lastError ?? (exit.signal ? `it was ended by ${exit.signal}` : `it exited with code ${exit.code}`);
    this.output.error(`Training "${s.name}" crashed: ${reason}\n${logTail(exit.logPath)}`);
    const resumable = existsSync(join(s.runDir, runStateFileName));
    const actions = ['Show Log', ...(resumable ? ['Resume'] : [])];
    const choice = await vscode.window.showErrorMessage(
      `Embedding Studio: training "${s.name}" stopped unexpectedly at step ${s.step}: ${reason}.${resumable ? ' It can resume from its last save.' : ''}`,
      ...actions,
    );
    if (choice === 'Show Log') await vscode.window.showTextDocument(vscode.Uri.file(exit.logPath));
    if (choice === 'Resume') this.attachMonitor(this.registry.resume(s.runDir));
  }

  private async showGuidance(run: TrainingRun, event: Extract<TrainerEvent, { type: 'guidance' }>): Promise<void> {
    // The monitor shows every notice with its actions; a toast only for what needs the user now.
    if (event.kind !== 'diverged' || MonitorPanel.open?.panel.visible) return;
    const choice = await vscode.window.showWarningMessage(`Embedding Studio: "${run.snapshot.name}" ${event.message}`, 'Open Monitor');
    if (choice) this.attachMonitor(run);
  }

  /** Shows `run` in the monitor (opening it if closed) with everything it reported so far. */
  attachMonitor(run: TrainingRun): MonitorPanel {
    const panel = MonitorPanel.show(this.monitorHost);
    if (this.monitorRun?.run === run && panel.currentSession?.id === this.monitorRun.sessionId) return panel;
    const s = run.snapshot;
    const sessionId = panel.startSession({ title: `Training ${s.name}`, runDir: s.runDir, live: run.running });
    this.monitorRun = { sessionId, run };
    panel.appendEvents(run.events.slice());
    const current = () => MonitorPanel.open === panel && panel.currentSession?.id === sessionId;
    const onEvent = (event: TrainerEvent) => {
      if (current()) panel.appendEvents([event]);
      else detach();
    };
    const onExit = () => {
      if (current()) panel.setLive(false);
      detach();
    };
    const detach = () => {
      run.off('event', onEvent);
      run.off('exit', onExit);
    };
    run.on('event', onEvent);
    run.on('exit', onExit);
    panel.onDidDispose(detach);
    return panel;
  }

  /** Reopens a run folder from disk in the monitor (no trainer attached: the controls are off). */
  async showRunFolder(runDir: string): Promise<void> {
    const panel = MonitorPanel.show(this.monitorHost);
    this.monitorRun = undefined;
    await panel.showRunFolder(runDir);
  }

  private async restoreMonitor(panel: MonitorPanel, runDir: string | null): Promise<void> {
    const live = runDir ? this.registry.forRunDir(runDir) : undefined;
    if (live?.running) this.attachMonitor(live);
    else if (runDir) await panel.showRunFolder(runDir);
    else panel.startSession({ title: 'Training monitor', runDir: null, live: false });
  }

  private async onMonitorAction(action: MonitorAction, panel: MonitorPanel): Promise<void> {
    if (action.type === 'openLintResults') {
      await vscode.commands.executeCommand('workbench.actions.view.problems');
      return;
    }
    if (action.type === 'openFile') {
      const uri = vscode.Uri.file(action.path);
      if (existsSync(action.path) && !/\.(safetensors|pt)$/i.test(action.path) && !isFolder(action.path)) await vscode.window.showTextDocument(uri);
      else await vscode.commands.executeCommand('revealFileInOS', uri);
      return;
    }
    const command = trainerCommandOf(action);
    const run = this.monitorRun && panel.currentSession?.id === this.monitorRun.sessionId ? this.monitorRun.run : undefined;
    if (!command) return;
    if (!run?.running) {
      panel.notify('warning', 'This run is not training any more: the controls act on a running training. Resume it from the Runs view.');
      return;
    }
    run.send(command);
  }

  /** The run a control command acts on: the only one, or the one the user picks. */
  async pickActiveRun(what: string): Promise<TrainingRun | undefined> {
    const active = this.registry.active();
    if (active.length === 0) {
      void vscode.window.showInformationMessage(`Embedding Studio: ${what}: no training is running. Start one with "Embedding Studio: Start Training".`);
      return undefined;
    }
    if (active.length === 1) return active[0];
    const picked = await vscode.window.showQuickPick(
      active.map((run) => ({ label: run.snapshot.name, description: `step ${run.snapshot.step} — ${run.snapshot.datasetDir}`, run })),
      { placeHolder: `${what}: which training?` },
    );
    return picked?.run;
  }

  /** Dataset folders of the workspace: each workspace folder and its sub-folders that hold images. */
  datasetFolders(): string[] {
    const found: string[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const root = folder.uri.fsPath;
      const queue = [root];
      for (let depth = 0; depth < 3 && queue.length; depth++) {
        for (const dir of queue.splice(0)) {
          let names: string[];
          try {
            names = readdirSync(dir);
          } catch {
            continue;
          }
          if (names.some(isImageFile)) found.push(dir);
          for (const name of names) if (!name.startsWith('.') && name !== 'node_modules' && isFolder(join(dir, name))) queue.push(join(dir, name));
        }
      }
    }
    return found;
  }

  /** The dataset the user means: the folder of the active editor's file when it is one, else a pick. */
  async pickDatasetFolder(what: string, allowBrowse = true): Promise<string | undefined> {
    const folders = this.datasetFolders();
    const activeFile = vscode.window.activeTextEditor?.document.uri;
    const activeDir = activeFile?.scheme === 'file' ? dirname(activeFile.fsPath) : undefined;
    const items: (vscode.QuickPickItem & { dir: string })[] = folders.map((dir) => ({
      label: basename(dir),
      description: dir,
      detail: `${readdirSync(dir).filter(isImageFile).length} images`,
      dir,
    }));
    if (activeDir && folders.includes(activeDir)) items.sort((a, b) => (a.dir === activeDir ? -1 : b.dir === activeDir ? 1 : 0));
    if (allowBrowse) items.push({ label: '$(folder-opened) Another folder…', dir: '' });
    if (items.length === 1 && !allowBrowse) return items[0].dir;
    const picked = await vscode.window.showQuickPick(items, { placeHolder: `${what}: which dataset folder (images with caption .txt files)?`, ignoreFocusOut: true });
    if (!picked) return undefined;
    if (picked.dir) return picked.dir;
    const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: `${what}: dataset folder` });
    return chosen?.[0]?.fsPath;
  }

  /** Run folders of every dataset in the workspace, newest first. */
  runFolders(): RunFolderSummary[] {
    return this.datasetFolders()
      .flatMap((dir) => listRunFolders(runsFolderOf(dir)))
      .sort((a, b) => b.modifiedMs - a.modifiedMs);
  }

  dispose(): void {
    // the trainer saves when asked to stop; it also stops by itself when its IPC channel closes
    void this.registry.stopAll(3_000).catch(() => this.registry.killAll());
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
