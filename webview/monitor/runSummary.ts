// The header, the current figures, the run's information and configuration, and the state of
// the controls: everything that is a direct reading of the model.

import type { MonitorAction } from '../../src/protocol/webviewMessages';
import type { FinishReason } from '../../src/protocol/trainerMessages';
import { button, byId, element, fillDefinitionGroups, fillDefinitions, renderIfChanged, setText } from './domElements';
import { formatBytes, formatDuration, formatLearningRate, formatLoss, formatSpeed } from './formatFigures';
import type { ModelState } from './monitorModel';

const finishLabels: Record<FinishReason, string> = {
  completed: 'Finished',
  stopped: 'Stopped',
  diverged: 'Stopped: diverged',
  'schedule-ended': 'Finished: the schedule ended',
};

export function statusLabel(model: ModelState): string {
  switch (model.status) {
    case 'waiting':
      return model.session && !model.session.live ? 'Not running' : 'Waiting for the trainer';
    case 'running':
      return 'Training';
    case 'paused':
      return 'Paused';
    case 'finished':
      return model.finished ? finishLabels[model.finished.reason] : 'Finished';
    case 'failed':
      return 'Failed';
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/** The sentence under the chart naming the steps whose loss was not finite; '' when none. */
export function nonFiniteNote(steps: readonly number[]): string {
  if (steps.length === 0) return '';
  const listed = steps.length <= 5 ? steps.map(count).join(', ') : `${steps.slice(0, 3).map(count).join(', ')} … ${count(steps[steps.length - 1])}`;
  const where = steps.length === 1 ? `at step ${listed}` : `at ${count(steps.length)} steps (${listed})`;
  return `Loss not finite ${where}: ${steps.length === 1 ? 'that step was' : 'those steps were'} skipped and drawn as a gap. Lower the learning rate (the tutorial's plan: 0.005, then 0.0001, then 0.00001).`;
}

export function renderSummary(model: ModelState, post: (action: MonitorAction) => void): void {
  const live = model.session?.live ?? false;
  const started = model.started;
  const latest = model.latest;
  setText(byId('run-title'), model.session?.title || (started ? `Training ${started.embeddingName}` : 'Training monitor'));
  const badge = byId('run-status');
  setText(badge, statusLabel(model) + (model.session && !live && model.status !== 'waiting' ? ' (from the run folder)' : ''));
  badge.dataset.status = model.status;

  const maxSteps = started?.maxSteps ?? 0;
  const step = latest?.step ?? model.finished?.step ?? 0;
  fillDefinitionGroups(byId('figures'), [
    ['Step', maxSteps > 0 ? `${count(step)} / ${count(maxSteps)}` : count(step)],
    ['Epoch', latest ? `${latest.epoch} (step ${latest.epochStep})` : '—'],
    ['Loss', latest && latest.loss === null ? 'not finite' : formatLoss(latest?.loss)],
    ['Moving average', formatLoss(latest?.lossAverage)],
    ['Best loss', formatLoss(model.bestLoss)],
    ['Learning rate', formatLearningRate(latest?.learningRate)],
    ['Speed', formatSpeed(live ? latest?.stepsPerSecond : null)],
    ['ETA', model.status === 'running' && live ? formatDuration(latest?.etaSeconds) : '—'],
    ['Memory', latest && live ? `${formatBytes(latest.memory.rssBytes)} (peak ${formatBytes(latest.memory.peakRssBytes)})` : '—'],
  ]);
  const lossNote = byId('loss-note');
  const nonFinite = nonFiniteNote(model.nonFiniteSteps);
  lossNote.hidden = nonFinite === '';
  setText(lossNote, nonFinite);

  const progress = byId<HTMLProgressElement>('step-progress');
  progress.max = Math.max(1, maxSteps);
  progress.value = Math.min(step, progress.max);

  const phase = byId('phase');
  const showPhase = model.phase && live && (model.status === 'running' || model.status === 'waiting') && model.phase.phase !== 'training';
  setText(phase, showPhase && model.phase ? `${model.phase.detail}${model.phase.total ? ` (${model.phase.current ?? 0} / ${model.phase.total})` : ''}` : '');

  const info = byId('run-info');
  const rows: [string, string][] = [];
  if (started) {
    rows.push(['Embedding', `${started.embeddingName} (${started.vectors} vector${started.vectors === 1 ? '' : 's'} per token)`]);
    rows.push(['Execution provider', started.provider]);
    if (started.providerNotes.length > 0) rows.push(['Provider notes', started.providerNotes.join('; ')]);
    if (started.computePrecision) rows.push(['Compute precision', `${started.computePrecision.precision}: ${started.computePrecision.reason}`]);
  }
  const runDir = model.session?.runDir ?? started?.runDir;
  if (runDir) rows.push(['Run folder', runDir]);
  const lastSaved = model.saved[model.saved.length - 1];
  if (lastSaved) rows.push(['Saved embeddings', `${model.saved.length}, latest at step ${count(lastSaved.step)}`]);
  if (model.finished) rows.push(['Outcome', `${finishLabels[model.finished.reason]} at step ${count(model.finished.step)}`]);
  const finalEmbedding = model.finished?.embeddingPath;
  renderIfChanged(info, JSON.stringify([rows, finalEmbedding]), () => {
    fillDefinitions(info, rows);
    if (finalEmbedding) {
      const open = button('Open', () => post({ type: 'openFile', path: finalEmbedding }), { class: 'link', 'aria-label': `Open ${finalEmbedding}`, title: finalEmbedding });
      info.append(element('dt', {}, 'Embedding file'), element('dd', {}, open));
    }
  });

  const configList = byId('run-config');
  const config = Object.entries(started?.config ?? {}).map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]);
  renderIfChanged(configList, JSON.stringify(config), () => fillDefinitions(configList, config));

  const log = byId('run-log');
  const warnings = model.logs.filter((entry) => entry.level === 'warning').slice(-5).map((entry) => entry.message);
  renderIfChanged(log, JSON.stringify(warnings), () => log.replaceChildren(...warnings.map((message) => element('li', { class: 'warning' }, message))));

  const running = model.status === 'running';
  const active = live && (running || model.status === 'paused');
  byId<HTMLButtonElement>('control-pause').disabled = !(live && running);
  byId<HTMLButtonElement>('control-resume').disabled = !(live && model.status === 'paused');
  byId<HTMLButtonElement>('control-save').disabled = !active;
  byId<HTMLButtonElement>('control-stop').disabled = !active;
  byId<HTMLButtonElement>('lr-apply').disabled = !active;
  byId<HTMLInputElement>('lr-input').disabled = !active;
}
