// The training monitor page. Restores its saved state, says `ready` to the host with what it
// already holds, then renders the trainer events the host forwards. Many progress messages per
// second are folded into one redraw per animation frame.

import { parseHostToMonitorMessage, type HostToMonitorMessage, type MonitorAction } from '../../src/protocol/webviewMessages';
import { byId } from './domElements';
import { formatLearningRate } from './formatFigures';
import { renderNotices } from './guidanceNotices';
import { LossChart } from './lossChart';
import { applyEvent, emptyModel, modelFromState, noChange, type ModelChange, type ModelState } from './monitorModel';
import { closeViewer, comparedPreviews, openViewer, renderGallery, type GallerySelection } from './previewGallery';
import { renderSummary } from './runSummary';
import { checkLearningRateSchedule } from './scheduleSyntaxCheck';
import { readThemeColors } from './themeColors';
import { vsCodeApi } from './vscodeApi';

interface PageState {
  model: ModelState;
  selection: GallerySelection;
  learningRateDraft: string;
}

const vscode = vsCodeApi<PageState>();
const saved = vscode.getState();
let model: ModelState = modelFromState(saved?.model) ?? emptyModel();
const selection: GallerySelection = { compare: Array.isArray(saved?.selection?.compare) ? saved.selection.compare.slice(0, 2) : [] };
const lossChart = new LossChart(byId<HTMLCanvasElement>('loss-chart'));
const learningRateInput = byId<HTMLInputElement>('lr-input');
learningRateInput.value = typeof saved?.learningRateDraft === 'string' ? saved.learningRateDraft : '';

function post(action: MonitorAction): void {
  vscode.postMessage({ type: 'action', action });
}

// --- rendering, batched per frame ---------------------------------------------------------
let pending: ModelChange = noChange();
let frameRequested = false;

function scheduleRender(change: Partial<ModelChange>): void {
  pending = {
    chart: pending.chart || !!change.chart,
    summary: pending.summary || !!change.summary,
    gallery: pending.gallery || !!change.gallery,
    notices: pending.notices || !!change.notices,
  };
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(renderPending);
}

// Redrawing the chart grows with its points (tens of ms at 20k): it is redrawn at most at a pace
// that keeps it under a fifth of the main thread, so a fast trainer never makes the page sluggish.
let chartDrawnAt = -Infinity;
let chartCostMs = 0;
let chartTimer: ReturnType<typeof setTimeout> | undefined;

function syncChart(): void {
  const began = performance.now();
  lossChart.sync(model);
  chartDrawnAt = performance.now();
  chartCostMs = chartDrawnAt - began;
}

function renderPending(): void {
  frameRequested = false;
  const change = pending;
  pending = noChange();
  if (change.chart && chartTimer === undefined) {
    const wait = chartDrawnAt + 4 * chartCostMs - performance.now();
    if (wait <= 0) syncChart();
    else {
      chartTimer = setTimeout(() => {
        chartTimer = undefined;
        scheduleRender({ chart: true });
      }, wait);
    }
  }
  if (change.summary) renderSummary(model, post);
  if (change.gallery) renderGallery(model, selection, () => scheduleRender({ gallery: true }));
  if (change.notices || change.summary) renderNotices(model, post, dismissNotice);
  saveStateSoon();
}

const everything: ModelChange = { chart: true, summary: true, gallery: true, notices: true };

function dismissNotice(id: number): void {
  const entry = model.guidance.find((g) => g.id === id);
  if (entry) entry.dismissed = true;
  scheduleRender({ notices: true });
}

// --- state, saved at most twice a second (it holds up to 20k points) ------------------------
let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveStateNow(): void {
  clearTimeout(saveTimer);
  saveTimer = undefined;
  vscode.setState({ model, selection, learningRateDraft: learningRateInput.value });
}
function saveStateSoon(): void {
  if (saveTimer === undefined) saveTimer = setTimeout(saveStateNow, 500);
}

// --- messages from the host -----------------------------------------------------------------
const hostNotice = byId('host-notice');
function showHostNotice(level: 'info' | 'warning' | 'error', message: string): void {
  hostNotice.hidden = false;
  hostNotice.dataset.level = level;
  hostNotice.setAttribute('role', level === 'error' ? 'alert' : 'status');
  hostNotice.textContent = message;
}

function handle(message: HostToMonitorMessage): void {
  switch (message.type) {
    case 'session':
      if (model.session?.id !== message.session.id) {
        model = emptyModel(message.session, model.pointLimit);
        selection.compare = [];
        closeViewer();
      } else model.session = message.session;
      scheduleRender(everything);
      saveStateNow();
      break;
    case 'events': {
      if (message.sessionId !== model.session?.id) return;
      // Events already held (a resend after the page reloaded) are skipped by their number.
      const skip = Math.max(0, model.received - message.first);
      const change = noChange();
      for (let i = skip; i < message.events.length; i++) applyEvent(model, message.events[i], message.imageUris, change);
      model.received = Math.max(model.received, message.first + message.events.length);
      scheduleRender(change);
      break;
    }
    case 'live':
      if (model.session && message.sessionId === model.session.id) {
        model.session = { ...model.session, live: message.live };
        scheduleRender({ summary: true, notices: true });
      }
      break;
    case 'notice':
      showHostNotice(message.level, message.message);
      break;
  }
}

window.addEventListener('message', (event: MessageEvent) => {
  let message: HostToMonitorMessage;
  try {
    message = parseHostToMonitorMessage(event.data);
  } catch (error) {
    console.error(error);
    showHostNotice('error', `Ignored a malformed message from the extension: ${(error as Error).message}`);
    return;
  }
  handle(message);
});

// --- controls ------------------------------------------------------------------------------
byId('control-pause').addEventListener('click', () => post({ type: 'pause' }));
byId('control-resume').addEventListener('click', () => post({ type: 'resume' }));
byId('control-save').addEventListener('click', () => post({ type: 'saveNow' }));
byId('control-stop').addEventListener('click', () => post({ type: 'stop' }));

const learningRateHelp = byId('lr-help');
function showScheduleCheck(): boolean {
  const text = learningRateInput.value;
  const check = checkLearningRateSchedule(text, {
    maxSteps: model.started?.maxSteps ?? 100_000,
    currentStep: model.latest?.step ?? model.started?.startStep ?? 0,
  });
  learningRateInput.setAttribute('aria-invalid', String(!check.ok && text.trim() !== ''));
  if (text.trim() === '') {
    const current = model.latest?.learningRate;
    learningRateHelp.textContent = `A rate, or rate:step pairs as in AUTOMATIC1111.${current ? ` Now ${formatLearningRate(current)}.` : ''}`;
    learningRateHelp.dataset.level = 'info';
  } else if (!check.ok) {
    learningRateHelp.textContent = check.error ?? 'Not a learning-rate schedule';
    learningRateHelp.dataset.level = 'error';
  } else if (check.warnings.length > 0) {
    learningRateHelp.textContent = check.warnings.join('; ');
    learningRateHelp.dataset.level = 'warning';
  } else {
    learningRateHelp.textContent = 'Looks right; the trainer checks it again before using it.';
    learningRateHelp.dataset.level = 'info';
  }
  return check.ok;
}
learningRateInput.addEventListener('input', () => {
  showScheduleCheck();
  saveStateSoon();
});
byId<HTMLFormElement>('lr-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (!showScheduleCheck()) {
    learningRateInput.focus();
    return;
  }
  post({ type: 'setLearningRate', schedule: learningRateInput.value.trim() });
  learningRateHelp.textContent = `Sent "${learningRateInput.value.trim()}" to the trainer.`;
  learningRateHelp.dataset.level = 'info';
});

byId('compare-open').addEventListener('click', () => {
  const pair = comparedPreviews(model, selection);
  if (pair.length === 2) openViewer(pair);
});
byId('viewer-close').addEventListener('click', closeViewer);
byId<HTMLDialogElement>('viewer').addEventListener('click', (event) => {
  // A click on the backdrop (the dialog itself, outside its content) closes it.
  if (event.target === event.currentTarget) closeViewer();
});

// --- theme: VS Code swaps body classes and the CSS variables on <html> -------------------------
const themeObserver = new MutationObserver(() => lossChart.applyTheme(readThemeColors()));
themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });

// Tests read the chart and the model from here.
(window as unknown as { __monitor: unknown }).__monitor = {
  chart: lossChart.chart,
  get model() {
    return model;
  },
  get selection() {
    return selection;
  },
  drawnPoints: () => lossChart.drawnPoints(),
  /** Resolves once everything received has been drawn (no frame or chart redraw pending). */
  whenDrawn: () =>
    new Promise<void>((done) => {
      const check = () => (frameRequested || chartTimer !== undefined ? setTimeout(check, 5) : requestAnimationFrame(() => done()));
      check();
    }),
};

scheduleRender(everything);
showScheduleCheck();
vscode.postMessage({ type: 'ready', sessionId: model.session?.id ?? null, received: model.received });
