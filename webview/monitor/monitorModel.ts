// What the monitor page knows about the run it shows, built only from trainer events.
// Pure data (no DOM), so the same model is rebuilt from the saved webview state, and its
// compaction can be tested without a browser.

import type { MonitorSession } from '../../src/protocol/webviewMessages';
import type { GuidanceKind, TrainerEvent } from '../../src/protocol/trainerMessages';

type EventOf<T extends TrainerEvent['type']> = Extract<TrainerEvent, { type: T }>;

export type RunStatus = 'waiting' | 'running' | 'paused' | 'finished' | 'failed';

export interface PreviewEntry extends EventOf<'preview'> {
  /** Where the page loads the image from (a webview URI); null when the host gave none. */
  uri: string | null;
}

export interface GuidanceEntry extends EventOf<'guidance'> {
  id: number;
  dismissed: boolean;
}

export interface SavedMarker {
  step: number;
  path: string;
  /** The loss drawn at the marker: the trainer's figure, else the moving average at that step. */
  loss: number;
}

export interface ModelState {
  version: 1;
  session: MonitorSession | null;
  received: number;
  steps: number[];
  /** NaN where the step's loss was not finite (null once the state went through JSON; modelFromState restores NaN). */
  loss: number[];
  lossAverage: number[];
  learningRate: number[];
  /** Steps whose loss was not finite (the trainer sent null), in order; never thinned. */
  nonFiniteSteps: number[];
  /** Points kept at full resolution before older ones are thinned. */
  pointLimit: number;
  latest: EventOf<'progress'> | null;
  started: EventOf<'started'> | null;
  phase: EventOf<'phase'> | null;
  status: RunStatus;
  finished: EventOf<'finished'> | null;
  saved: SavedMarker[];
  previews: PreviewEntry[];
  guidance: GuidanceEntry[];
  errors: EventOf<'error'>[];
  logs: EventOf<'log'>[];
  learningRateChanges: EventOf<'learningRateChanged'>[];
  bestLoss: number | null;
}

/** Every point is kept up to this many; beyond it older points are thinned (the tail stays whole). */
export const defaultPointLimit = 20_000;
/** The most recent points are never thinned, so the live end of the curve stays exact. */
const wholeTail = 1_000;
const keptLogs = 50;

export function emptyModel(session: MonitorSession | null = null, pointLimit = defaultPointLimit): ModelState {
  return {
    version: 1,
    session,
    received: 0,
    steps: [],
    loss: [],
    lossAverage: [],
    learningRate: [],
    nonFiniteSteps: [],
    pointLimit,
    latest: null,
    started: null,
    phase: null,
    status: 'waiting',
    finished: null,
    saved: [],
    previews: [],
    guidance: [],
    errors: [],
    logs: [],
    learningRateChanges: [],
    bestLoss: null,
  };
}

/** A saved state from an older page or a corrupted one is dropped rather than half-trusted. */
export function modelFromState(state: unknown): ModelState | null {
  if (typeof state !== 'object' || state === null) return null;
  const candidate = state as Partial<ModelState>;
  if (candidate.version !== 1 || !Array.isArray(candidate.steps) || !Array.isArray(candidate.loss)) return null;
  const n = candidate.steps.length;
  if (candidate.loss.length !== n || candidate.lossAverage?.length !== n || candidate.learningRate?.length !== n) return null;
  if (candidate.nonFiniteSteps !== undefined && !Array.isArray(candidate.nonFiniteSteps)) return null;
  // JSON turned the NaN gaps into null: put them back, since arithmetic reads null as 0 (Math.min(null, 0.1) is 0).
  const gaps = (column: unknown[]) => column.map((v) => (typeof v === 'number' ? v : Number.NaN));
  return { ...candidate, loss: gaps(candidate.loss), lossAverage: gaps(candidate.lossAverage!), nonFiniteSteps: candidate.nonFiniteSteps ?? [] } as ModelState;
}

/** What changed, so the page redraws only those parts. */
export interface ModelChange {
  chart: boolean;
  summary: boolean;
  gallery: boolean;
  notices: boolean;
}

export function noChange(): ModelChange {
  return { chart: false, summary: false, gallery: false, notices: false };
}

export function applyEvent(model: ModelState, event: TrainerEvent, imageUris: Record<string, string>, change: ModelChange): void {
  switch (event.type) {
    case 'started':
      model.started = event;
      model.status = 'running';
      model.finished = null;
      change.summary = true;
      break;
    case 'phase':
      model.phase = event;
      if (model.status === 'waiting') model.status = 'running';
      change.summary = true;
      break;
    case 'progress':
      addPoint(model, event);
      model.latest = event;
      if (model.status === 'waiting') model.status = 'running';
      if (event.lossAverage !== null && (model.bestLoss === null || event.lossAverage < model.bestLoss)) model.bestLoss = event.lossAverage;
      change.chart = true;
      change.summary = true;
      break;
    case 'saved':
      if (event.kind === 'embedding') {
        model.saved = model.saved.filter((marker) => marker.step !== event.step);
        model.saved.push({ step: event.step, path: event.path, loss: event.loss ?? averageAt(model, event.step) });
        model.saved.sort((a, b) => a.step - b.step);
        change.chart = true;
      }
      change.summary = true;
      break;
    case 'preview':
      model.previews = model.previews.filter((p) => !(p.step === event.step && p.prompt === event.prompt));
      model.previews.push({ ...event, uri: imageUris[event.path] ?? null });
      model.previews.sort((a, b) => a.step - b.step);
      change.gallery = true;
      break;
    case 'guidance':
      model.guidance.push({ ...event, id: model.guidance.length, dismissed: false });
      change.notices = true;
      break;
    case 'paused':
      model.status = 'paused';
      change.summary = true;
      break;
    case 'resumed':
      model.status = 'running';
      change.summary = true;
      break;
    case 'learningRateChanged':
      model.learningRateChanges.push(event);
      change.summary = true;
      break;
    case 'finished':
      model.finished = event;
      model.status = 'finished';
      if (event.bestLoss !== null) model.bestLoss = event.bestLoss;
      change.summary = true;
      change.notices = true;
      break;
    case 'error':
      model.errors.push(event);
      model.status = 'failed';
      change.summary = true;
      change.notices = true;
      break;
    case 'log':
      model.logs.push(event);
      if (model.logs.length > keptLogs) model.logs.splice(0, model.logs.length - keptLogs);
      change.summary = true;
      break;
  }
}

function addPoint(model: ModelState, event: EventOf<'progress'>): void {
  // A rollback restarts from an earlier step: the abandoned branch of the curve is dropped.
  let end = model.steps.length;
  while (end > 0 && model.steps[end - 1] >= event.step) end--;
  if (end < model.steps.length) {
    for (const column of [model.steps, model.loss, model.lossAverage, model.learningRate]) column.length = end;
  }
  while (model.nonFiniteSteps.length > 0 && model.nonFiniteSteps[model.nonFiniteSteps.length - 1] >= event.step) model.nonFiniteSteps.pop();
  model.steps.push(event.step);
  // A null loss was not finite (JSON has no NaN): a gap in the curve and a marker, never a point.
  model.loss.push(event.loss ?? Number.NaN);
  model.lossAverage.push(event.lossAverage ?? Number.NaN);
  if (event.loss === null) model.nonFiniteSteps.push(event.step);
  model.learningRate.push(event.learningRate);
  if (model.steps.length > model.pointLimit) thinOlderPoints(model);
}

/**
 * Drops every other point outside the recent tail, so a 100k-step run stays light to draw and to
 * save. Gaps (non-finite losses) are kept: dropping one would join the line across it.
 */
function thinOlderPoints(model: ModelState): void {
  const tailStart = Math.max(0, model.steps.length - Math.min(wholeTail, Math.floor(model.pointLimit / 2)));
  const loss = model.loss;
  const keep = (i: number) => i >= tailStart || i % 2 === 0 || Number.isNaN(loss[i]);
  for (const key of ['steps', 'loss', 'lossAverage', 'learningRate'] as const) {
    model[key] = model[key].filter((_, i) => keep(i));
  }
}

/** The moving-average loss at the last recorded point at or before `step`. */
export function averageAt(model: ModelState, step: number): number {
  let lo = 0;
  let hi = model.steps.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (model.steps[mid] <= step) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 ? model.lossAverage[found] : NaN;
}

export const guidanceKinds: readonly GuidanceKind[] = ['healthy', 'plateau', 'diverged', 'previews-stable'];
