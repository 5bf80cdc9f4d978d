// The host side of the monitor's protocol, without VS Code: keeps one session's trainer events and
// sends the page what it does not hold yet. The page says `ready` with its session and count after
// every load (a hidden webview is torn down and reloads when shown), so nothing is lost or doubled.
// MonitorPanel wires this to a real webview; tests wire it to the real page in Chromium.

import type { TrainerEvent } from '../protocol/trainerMessages';
import { parseMonitorToHostMessage, type HostToMonitorMessage, type MonitorAction, type MonitorSession } from '../protocol/webviewMessages';

export interface MonitorFeedTarget {
  /** Delivers a message to the page (VS Code drops it if the page is not loaded). */
  post(message: HostToMonitorMessage): void;
  /** The URI the page may load a preview image from. */
  imageUri(path: string): string;
}

/** Big histories go to the page in slices, so no single message is huge. */
export const eventsPerMessage = 5_000;
/** Progress arrives many times a second: it is forwarded at most this often. */
const forwardDelayMs = 50;

let sessionCounter = 0;
const newSessionId = () => `${Date.now().toString(36)}-${(++sessionCounter).toString(36)}`;

export type ReceivedFromPage = { action: MonitorAction } | { ready: true } | { invalid: string };

export class MonitorFeed {
  private current: MonitorSession | null = null;
  private events: TrainerEvent[] = [];
  /** How many of `events` the page holds; meaningful only while `pageReady`. */
  private pageHolds = 0;
  private pageReady = false;
  private pendingNotices: Extract<HostToMonitorMessage, { type: 'notice' }>[] = [];
  private forwardTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly target: MonitorFeedTarget) {}

  get session(): MonitorSession | null {
    return this.current;
  }

  /** All events of the current session, in order. */
  get eventCount(): number {
    return this.events.length;
  }

  /** Starts a new session (a training that starts, or a run folder); returns its id. */
  startSession(session: { title: string; runDir: string | null; live: boolean }): string {
    this.current = { id: newSessionId(), ...session };
    this.events = [];
    this.pageHolds = 0;
    if (this.pageReady) this.target.post({ type: 'session', session: this.current });
    return this.current.id;
  }

  /** Adds trainer events; they reach the page within `forwardDelayMs` (or on its next `ready`). */
  appendEvents(events: TrainerEvent[]): void {
    if (!this.current) throw new Error('MonitorFeed.appendEvents: start a session first');
    this.events.push(...events);
    if (this.forwardTimer === undefined) this.forwardTimer = setTimeout(() => this.forward(), forwardDelayMs);
  }

  /** The trainer process attached to the session started or exited. */
  setLive(live: boolean): void {
    if (!this.current || this.current.live === live) return;
    this.current = { ...this.current, live };
    if (this.pageReady) this.target.post({ type: 'live', sessionId: this.current.id, live });
  }

  /** A message for the user in the page; kept until the page listens. */
  notify(level: 'info' | 'warning' | 'error', message: string): void {
    const notice = { type: 'notice', level, message } as const;
    if (this.pageReady) this.target.post(notice);
    else this.pendingNotices.push(notice);
  }

  /** The page was hidden (and so unloaded): hold everything until it says `ready` again. */
  pageHidden(): void {
    this.pageReady = false;
  }

  /** Handles a message from the page; the caller acts on `action`. */
  receive(raw: unknown): ReceivedFromPage {
    let message;
    try {
      message = parseMonitorToHostMessage(raw);
    } catch (error) {
      return { invalid: (error as Error).message };
    }
    if (message.type === 'action') return { action: message.action };
    this.pageReady = true;
    if (this.current) {
      if (message.sessionId !== this.current.id || message.received > this.events.length) {
        // Another session, or more of this one than we hold: the page starts over.
        this.target.post({ type: 'session', session: this.current });
        this.pageHolds = 0;
      } else {
        this.pageHolds = message.received;
        // The trainer may have attached or exited while the page was away.
        this.target.post({ type: 'live', sessionId: this.current.id, live: this.current.live });
      }
      this.forward();
    }
    for (const notice of this.pendingNotices.splice(0)) this.target.post(notice);
    return { ready: true };
  }

  /** Sends the page the events it does not hold yet (also run by the timer). */
  forward(): void {
    clearTimeout(this.forwardTimer);
    this.forwardTimer = undefined;
    if (!this.pageReady || !this.current) return;
    while (this.pageHolds < this.events.length) {
      const first = this.pageHolds;
      const slice = this.events.slice(first, first + eventsPerMessage);
      const imageUris: Record<string, string> = {};
      for (const event of slice) if (event.type === 'preview') imageUris[event.path] = this.target.imageUri(event.path);
      this.target.post({ type: 'events', sessionId: this.current.id, first, events: slice, imageUris });
      this.pageHolds = first + slice.length;
    }
  }

  dispose(): void {
    clearTimeout(this.forwardTimer);
    this.forwardTimer = undefined;
  }
}
