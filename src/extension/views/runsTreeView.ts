// The Runs view: every run folder of the workspace's datasets (this session's and earlier ones,
// from the CLI too), with its status, step and lowest loss; under each, its saved embeddings —
// click to reveal, context menu to copy to the A1111/ComfyUI embeddings folder or reveal in the OS.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { RunFolderSummary } from '../training/runFolders';
import type { RunSnapshot } from '../training/runRegistry';
import type { TrainingSession } from '../training/trainingSession';
import { snapshotLossText } from './snapshotLoss';
import { cachedEmbeddingFileHash } from '../../train/embeddingHash';

export const runsViewId = 'embeddingStudio.runs';

type RunsNode =
  | { kind: 'run'; runDir: string; name: string; live: RunSnapshot | null; stored: RunFolderSummary | null }
  | { kind: 'embedding'; path: string; runDir: string; newest: boolean };

function runDescription(node: Extract<RunsNode, { kind: 'run' }>): string {
  const live = node.live;
  if (live && (live.status === 'training' || live.status === 'paused' || live.status === 'starting')) {
    const lossText = snapshotLossText(live);
    const loss = lossText ? ` · ${lossText}` : '';
    const best = live.bestLoss !== null ? ` · best ${live.bestLoss.toFixed(3)}` : '';
    return `${live.status} · step ${live.step}/${live.maxSteps}${loss}${best}`;
  }
  const s = node.stored;
  const status = live ? (live.status === 'crashed' ? 'crashed' : live.status) : s?.status ?? '';
  const step = s?.lastStep ?? live?.step;
  const best = s?.lowestLoss ?? live?.bestLoss;
  return [status, step !== undefined && step !== null ? `step ${step}/${s?.maxSteps ?? live?.maxSteps}` : '', best !== null && best !== undefined ? `lowest loss ${best.toFixed(3)}` : '']
    .filter(Boolean)
    .join(' · ');
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly session: TrainingSession) {
    this.disposables.push(session.onDidChangeRunFolders(() => this.refresh()), this.changed);
    const onRunChanged = () => this.refreshSoon();
    session.registry.on('changed', onRunChanged);
    this.disposables.push({ dispose: () => session.registry.off('changed', onRunChanged) });
  }

  refresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.changed.fire(undefined);
  }

  /** Progress arrives several times a second: the tree is rebuilt at most once a second. */
  private refreshSoon(): void {
    this.refreshTimer ??= setTimeout(() => this.refresh(), 1000);
  }

  getChildren(node?: RunsNode): RunsNode[] {
    if (!node) {
      const stored = this.session.runFolders();
      const nodes = new Map<string, Extract<RunsNode, { kind: 'run' }>>();
      for (const run of this.session.registry.all()) {
        const s = run.snapshot;
        nodes.set(s.runDir, { kind: 'run', runDir: s.runDir, name: s.name, live: s, stored: null });
      }
      for (const summary of stored) {
        const existing = nodes.get(summary.runDir);
        if (existing) existing.stored = summary;
        else nodes.set(summary.runDir, { kind: 'run', runDir: summary.runDir, name: summary.name, live: null, stored: summary });
      }
      return [...nodes.values()];
    }
    if (node.kind !== 'run') return [];
    const paths = node.stored?.embeddings ?? node.live?.savedEmbeddings ?? [];
    return paths
      .slice()
      .reverse()
      .map((path, i) => ({ kind: 'embedding', path, runDir: node.runDir, newest: i === 0 }));
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    if (node.kind === 'run') {
      const item = new vscode.TreeItem(node.name, node.live ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `run:${node.runDir}`;
      item.description = runDescription(node);
      const running = node.live !== null && ['training', 'paused', 'starting'].includes(node.live.status);
      const resumable = !running && (node.stored?.resumable ?? false);
      item.contextValue = running ? 'run.running' : resumable ? 'run.resumable' : 'run.finished';
      item.iconPath = new vscode.ThemeIcon(running ? (node.live?.status === 'paused' ? 'debug-pause' : 'pulse') : node.stored?.status === 'completed' ? 'pass' : node.stored?.resumable ? 'debug-stop' : 'history');
      item.tooltip = `${node.runDir}${node.stored?.problem ? `\n${node.stored.problem}` : ''}\nClick to open it in the training monitor.`;
      item.command = { command: 'embeddingStudio.openMonitor', title: 'Open Training Monitor', arguments: [node.runDir] };
      return item;
    }
    const item = new vscode.TreeItem(basename(node.path), vscode.TreeItemCollapsibleState.None);
    item.id = `embedding:${node.path}`;
    item.resourceUri = vscode.Uri.file(node.path);
    item.contextValue = 'embedding';
    item.iconPath = new vscode.ThemeIcon('symbol-constant');
    item.description = node.newest ? 'latest' : undefined;
    let hash = '';
    try {
      hash = `\nA1111 hash: ${cachedEmbeddingFileHash(node.path).shortHash} (sha256 of the file, first 12 digits)`;
    } catch {
      // a file being written or removed: no hash this time
    }
    item.tooltip = `${node.path}${hash}\nRight-click to copy it to your AUTOMATIC1111/ComfyUI embeddings folder or reveal it.`;
    item.command = { command: 'revealInExplorer', title: 'Reveal in Explorer', arguments: [vscode.Uri.file(node.path)] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
