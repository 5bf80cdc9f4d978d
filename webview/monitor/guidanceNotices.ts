// The tutorial's advice where the user looks: the trainer's guidance events as notices, each with
// its one-click action (check the dataset, roll back, lower the learning rate), and errors.
// Only the latest notice of each kind is shown; a repeated "healthy" should not pile up.

import type { GuidanceKind } from '../../src/protocol/trainerMessages';
import type { MonitorAction } from '../../src/protocol/webviewMessages';
import { button, byId, element, renderIfChanged } from './domElements';
import { formatLearningRate, formatLoss } from './formatFigures';
import type { GuidanceEntry, ModelState } from './monitorModel';

const titles: Record<GuidanceKind, string> = {
  healthy: 'Healthy',
  plateau: 'Loss stuck at 0.17–0.25: the images disagree',
  diverged: 'Diverged',
  'previews-stable': 'Previews stopped changing',
};

/** The trainer writes its messages as clauses ("the loss has…"); shown alone they read as sentences. */
const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** "Lower the learning rate to …" when the trainer suggested a rate. */
function lowerRateAction(entry: GuidanceEntry): { label: string; action: MonitorAction; needsTrainer: boolean } | null {
  if (entry.suggestedLearningRate === undefined) return null;
  const rate = formatLearningRate(entry.suggestedLearningRate);
  return { label: `Lower the learning rate to ${rate}`, action: { type: 'setLearningRate', schedule: rate }, needsTrainer: true };
}

/** The one-click action of a notice, or null when it only informs. */
export function guidanceAction(entry: GuidanceEntry): { label: string; action: MonitorAction; needsTrainer: boolean } | null {
  switch (entry.kind) {
    case 'plateau':
      return { label: 'Open lint results', action: { type: 'openLintResults' }, needsTrainer: false };
    case 'diverged':
      // Back to the best save with the plan's next rate; with nothing saved yet, just the lower rate.
      if (entry.rollbackTo) {
        return {
          label: `Roll back to step ${entry.rollbackTo.step} (loss ${formatLoss(entry.rollbackTo.loss)})`,
          action:
            entry.suggestedLearningRate !== undefined
              ? { type: 'rollback', embeddingPath: entry.rollbackTo.path, schedule: formatLearningRate(entry.suggestedLearningRate) }
              : { type: 'rollback', embeddingPath: entry.rollbackTo.path },
          needsTrainer: true,
        };
      }
      return lowerRateAction(entry);
    case 'previews-stable':
      return lowerRateAction(entry);
    case 'healthy':
      return null;
  }
}

export function renderNotices(model: ModelState, post: (action: MonitorAction) => void, dismiss: (id: number) => void): void {
  const live = model.session?.live ?? false;
  const canAct = live && (model.status === 'running' || model.status === 'paused');
  const latest = new Map<GuidanceKind, GuidanceEntry>();
  for (const entry of model.guidance) latest.set(entry.kind, entry);
  const shown = [...latest.values()].filter((entry) => !entry.dismissed).sort((a, b) => b.step - a.step);

  const lastError = model.errors[model.errors.length - 1];
  const key = JSON.stringify([shown.map((entry) => entry.id), canAct, model.errors.length]);
  renderIfChanged(byId('notices'), key, () => byId('notices').replaceChildren(...buildNotices(shown, lastError, canAct, post, dismiss)));
}

function buildNotices(
  shown: GuidanceEntry[],
  lastError: ModelState['errors'][number] | undefined,
  canAct: boolean,
  post: (action: MonitorAction) => void,
  dismiss: (id: number) => void,
): HTMLElement[] {
  const notices: HTMLElement[] = [];
  if (lastError) {
    const logPath = lastError.logPath;
    notices.push(
      element(
        'div',
        { class: 'notice notice-error', role: 'alert' },
        element('strong', {}, 'The trainer failed'),
        element('p', {}, lastError.message + (lastError.detail ? ` — ${lastError.detail}` : '')),
        logPath ? element('div', { class: 'notice-actions' }, button('Open log', () => post({ type: 'openFile', path: logPath }))) : null,
      ),
    );
  }
  for (const entry of shown) {
    const action = guidanceAction(entry);
    const actionButton = action ? button(action.label, () => post(action.action), { 'data-action': action.action.type }) : null;
    if (actionButton && action?.needsTrainer && !canAct) {
      actionButton.disabled = true;
      actionButton.title = 'Needs a running trainer';
    }
    notices.push(
      element(
        'div',
        { class: `notice notice-${entry.kind}`, role: entry.kind === 'diverged' ? 'alert' : 'status', 'data-kind': entry.kind },
        element('strong', {}, `${titles[entry.kind]} `, element('span', { class: 'notice-step' }, `at step ${entry.step.toLocaleString('en-US')}`)),
        element('p', {}, sentence(entry.message)),
        element(
          'div',
          { class: 'notice-actions' },
          actionButton,
          button('Dismiss', () => dismiss(entry.id), { class: 'secondary', 'aria-label': `Dismiss the ${titles[entry.kind]} notice` }),
        ),
      ),
    );
  }
  return notices;
}
