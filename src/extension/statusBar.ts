// The status-bar item of a running training: step, loss and ETA at a glance; a click opens the
// monitor. Shows the most recently updated active run (one per dataset can run at a time).
import * as vscode from 'vscode';
import type { RunRegistry, RunSnapshot, TrainingRun } from './training/runRegistry';
import { snapshotLossText } from './views/snapshotLoss';

/** "1h 02m", "3m 05s", "42s". */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '…';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export function statusBarText(s: RunSnapshot): string {
  if (s.status === 'starting') return `$(loading~spin) ${s.name}: ${s.phase ?? 'starting'}`;
  const icon = s.status === 'paused' ? '$(debug-pause)' : '$(pulse)';
  const lossText = snapshotLossText(s);
  const loss = lossText ? ` ${lossText}` : '';
  const eta = s.status === 'paused' ? ' paused' : ` ETA ${formatEta(s.etaSeconds)}`;
  return `${icon} ${s.name} ${s.step}/${s.maxSteps}${loss}${eta}`;
}

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('embeddingStudio.training', vscode.StatusBarAlignment.Left, 50);
  private shown: TrainingRun | undefined;
  private lastPaint = 0;

  constructor(private readonly registry: RunRegistry) {
    this.item.name = 'Embedding Studio training';
    this.item.command = 'embeddingStudio.openMonitor';
    registry.on('changed', this.onChanged);
  }

  private readonly onChanged = (run: TrainingRun): void => {
    if (run.running) this.shown = run;
    else if (this.shown === run) this.shown = this.registry.active()[0];
    // progress arrives several times a second: repaint at most 4 times a second, but always on a status change
    const now = Date.now();
    if (run.running && run.snapshot.status === 'training' && now - this.lastPaint < 250) return;
    this.lastPaint = now;
    this.paint();
  };

  private paint(): void {
    const run = this.shown;
    if (!run?.running) {
      this.item.hide();
      return;
    }
    const s = run.snapshot;
    this.item.text = statusBarText(s);
    const lr = s.learningRate !== null ? `, learning rate ${s.learningRate}` : '';
    const speed = s.stepsPerSecond !== null ? `, ${s.stepsPerSecond.toFixed(2)} steps/s` : '';
    this.item.tooltip = `Training "${s.name}" on ${s.provider ?? '…'} — step ${s.step} of ${s.maxSteps}${lr}${speed}.\nDataset: ${s.datasetDir}\nClick to open the training monitor.`;
    this.item.show();
  }

  dispose(): void {
    this.registry.off('changed', this.onChanged);
    this.item.dispose();
  }
}
