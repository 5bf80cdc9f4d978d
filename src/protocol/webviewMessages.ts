// Typed messages between the extension host and the training monitor webview.
// Host -> webview: HostToMonitorMessage. Webview -> host: MonitorToHostMessage.
// Both sides validate what they receive (parseHostToMonitorMessage / parseMonitorToHostMessage):
// a webview is a separate, sandboxed page and its messages are untrusted input until checked.
//
// Handshake: the page posts `ready` once it has restored its saved state, saying which session it
// shows and how many events of it it already holds; the host answers with `session` (only when the
// page shows another session or none) and `events` carrying everything from that count on. Events
// are numbered per session (`first` is the sequence number of events[0]), so a page that was
// hidden and reloaded asks only for what it missed.

import { parseTrainerEvent, ProtocolError, type TrainerCommand, type TrainerEvent } from './trainerMessages';

export interface MonitorSession {
  /** Changes whenever the panel starts showing another run (a new training or a replayed folder). */
  id: string;
  title: string;
  /** The run folder, when known (preview images and the replay come from it). */
  runDir: string | null;
  /** True while a trainer process is attached: the controls act on it. False for a replayed run. */
  live: boolean;
}

/** Host -> webview. */
export type HostToMonitorMessage =
  /** Start showing `session`: the page drops what it holds and waits for its events. */
  | { type: 'session'; session: MonitorSession }
  /**
   * Trainer events of the current session, numbered from `first`. `imageUris` maps a preview
   * event's file path to the URI the page may load it from (the webview cannot read file paths).
   */
  | { type: 'events'; sessionId: string; first: number; events: TrainerEvent[]; imageUris: Record<string, string> }
  /** The trainer process attached or detached (e.g. it exited): enables or disables the controls. */
  | { type: 'live'; sessionId: string; live: boolean }
  /** Something the host wants the user to see in the page, e.g. why an action was refused. */
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; message: string };

/** What the user asked for in the page; the host forwards the trainer commands to the trainer. */
export type MonitorAction =
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'saveNow' }
  | { type: 'setLearningRate'; schedule: string }
  | { type: 'rollback'; embeddingPath: string; schedule?: string }
  /** The plateau guidance: show the dataset's lint results (Problems panel). */
  | { type: 'openLintResults' }
  /** Open a file of the run (a log, a saved embedding, the run folder). */
  | { type: 'openFile'; path: string };

/** Webview -> host. */
export type MonitorToHostMessage =
  | { type: 'ready'; sessionId: string | null; received: number }
  | { type: 'action'; action: MonitorAction };

type Check = (v: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isBoolean: Check = (v) => typeof v === 'boolean';
const isCount: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optional = (check: Check): Check => (v) => v === undefined || check(v);
const nullable = (check: Check): Check => (v) => v === null || check(v);
const oneOf = (...allowed: string[]): Check => (v) => typeof v === 'string' && allowed.includes(v);

const actionShapes: Record<MonitorAction['type'], Record<string, Check>> = {
  pause: {},
  resume: {},
  stop: {},
  saveNow: {},
  setLearningRate: { schedule: isString },
  rollback: { embeddingPath: isString, schedule: optional(isString) },
  openLintResults: {},
  openFile: { path: isString },
};

const sessionShape: Record<string, Check> = { id: isString, title: isString, runDir: nullable(isString), live: isBoolean };

function checkFields(message: Record<string, unknown>, shape: Record<string, Check>, what: string): void {
  for (const [field, check] of Object.entries(shape)) {
    if (!check(message[field])) {
      throw new ProtocolError(`${what}: field '${field}' has an unexpected value ${JSON.stringify(message[field])}`);
    }
  }
}

function typed(value: unknown, what: string, types: readonly string[]): Record<string, unknown> & { type: string } {
  if (!isObject(value)) throw new ProtocolError(`${what}: expected an object, got ${value === null ? 'null' : typeof value}`);
  if (typeof value.type !== 'string' || !types.includes(value.type)) {
    throw new ProtocolError(`${what}: unknown message type ${JSON.stringify(value.type)}`);
  }
  return value as Record<string, unknown> & { type: string };
}

export function parseMonitorAction(value: unknown): MonitorAction {
  const action = typed(value, 'monitor action', Object.keys(actionShapes));
  checkFields(action, actionShapes[action.type as MonitorAction['type']], `monitor action '${action.type}'`);
  return action as unknown as MonitorAction;
}

/** Validates a message received from the webview (run by the host). */
export function parseMonitorToHostMessage(value: unknown): MonitorToHostMessage {
  const message = typed(value, 'webview message', ['ready', 'action']);
  if (message.type === 'ready') {
    checkFields(message, { sessionId: nullable(isString), received: isCount }, "webview message 'ready'");
  } else {
    parseMonitorAction(message.action);
  }
  return message as unknown as MonitorToHostMessage;
}

/** Validates a message received from the host (run by the page). Every carried trainer event is checked too. */
export function parseHostToMonitorMessage(value: unknown): HostToMonitorMessage {
  const message = typed(value, 'host message', ['session', 'events', 'live', 'notice']);
  const what = `host message '${message.type}'`;
  switch (message.type) {
    case 'session':
      if (!isObject(message.session)) throw new ProtocolError(`${what}: field 'session' should be an object`);
      checkFields(message.session, sessionShape, `${what} session`);
      break;
    case 'events': {
      checkFields(message, { sessionId: isString, first: isCount }, what);
      if (!Array.isArray(message.events)) throw new ProtocolError(`${what}: field 'events' should be an array`);
      message.events.forEach((event, i) => {
        try {
          parseTrainerEvent(event);
        } catch (error) {
          throw new ProtocolError(`${what}: event ${i}: ${(error as Error).message}`);
        }
      });
      const uris = message.imageUris;
      if (!isObject(uris) || !Object.values(uris).every(isString)) {
        throw new ProtocolError(`${what}: field 'imageUris' should map paths to URI strings`);
      }
      break;
    }
    case 'live':
      checkFields(message, { sessionId: isString, live: isBoolean }, what);
      break;
    case 'notice':
      checkFields(message, { level: oneOf('info', 'warning', 'error'), message: isString }, what);
      break;
  }
  return message as unknown as HostToMonitorMessage;
}

/** The trainer command an action stands for, or null for actions the host handles itself. */
export function trainerCommandOf(action: MonitorAction): TrainerCommand | null {
  switch (action.type) {
    case 'pause':
    case 'resume':
    case 'stop':
    case 'saveNow':
      return { type: action.type };
    case 'setLearningRate':
      return { type: 'setLearningRate', schedule: action.schedule };
    case 'rollback':
      return action.schedule === undefined
        ? { type: 'rollback', embeddingPath: action.embeddingPath }
        : { type: 'rollback', embeddingPath: action.embeddingPath, schedule: action.schedule };
    case 'openLintResults':
    case 'openFile':
      return null;
  }
}
