// The API VS Code gives a webview page (acquireVsCodeApi may be called only once per page).

import type { MonitorToHostMessage } from '../../src/protocol/webviewMessages';

export interface VsCodeApi<State> {
  postMessage(message: MonitorToHostMessage): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

export function vsCodeApi<State>(): VsCodeApi<State> {
  return acquireVsCodeApi<State>();
}
