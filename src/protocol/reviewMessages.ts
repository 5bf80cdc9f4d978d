// Typed messages between the extension host and the crop-review webview (webview/review).
// Host -> webview: HostToReviewMessage. Webview -> host: ReviewToHostMessage (validated by the
// host with parseReviewToHost: the page is untrusted input). The page sends 'ready' first.

export type ReviewSeverity = 'error' | 'warning' | 'information' | 'hint';

export interface ReviewProblem {
  severity: ReviewSeverity;
  message: string;
  code?: string;
}

export interface ReviewItem {
  /** Stable id (the image path is fine). */
  id: string;
  /** File name shown under the image. */
  name: string;
  /** The image as a webview URI (asWebviewUri). */
  imageUri: string;
  /** Upright pixel size of the image: crop regions are sent in these pixels. */
  width: number;
  height: number;
  /** Caption text, or null when the image has no caption file. */
  caption: string | null;
  /** Lint problems of this image and its caption. */
  problems: ReviewProblem[];
}

export interface ReviewRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

export type HostToReviewMessage =
  | { type: 'items'; folder: string; items: ReviewItem[] }
  | { type: 'itemChanged'; item: ReviewItem }
  | { type: 'itemRemoved'; id: string };

export type ReviewToHostMessage =
  | { type: 'ready' }
  | { type: 'openCaption'; id: string }
  | { type: 'deleteImage'; id: string }
  | { type: 'saveCrop'; id: string; region: ReviewRegion };

export class ReviewProtocolError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function fail(what: string, detail: string): never {
  throw new ReviewProtocolError(`${what}: ${detail}`);
}

export function parseReviewToHost(value: unknown): ReviewToHostMessage {
  const what = 'review page message';
  if (!isObject(value)) fail(what, 'expected an object');
  switch (value.type) {
    case 'ready':
      return { type: 'ready' };
    case 'openCaption':
    case 'deleteImage':
      if (typeof value.id !== 'string' || value.id === '') fail(what, `'${value.type}' needs an id`);
      return { type: value.type, id: value.id };
    case 'saveCrop': {
      if (typeof value.id !== 'string' || value.id === '') fail(what, "'saveCrop' needs an id");
      const r = value.region;
      if (!isObject(r) || !isCount(r.left) || !isCount(r.top) || !isCount(r.width) || !isCount(r.height) || (r.width as number) <= 0 || (r.height as number) <= 0) {
        fail(what, `'saveCrop' needs a region {left, top, width, height} in image pixels, got ${JSON.stringify(r)}`);
      }
      return { type: 'saveCrop', id: value.id, region: { left: r.left as number, top: r.top as number, width: r.width as number, height: r.height as number } };
    }
    default:
      fail(what, `unknown message type ${JSON.stringify(value.type)}`);
  }
}

const severities: readonly string[] = ['error', 'warning', 'information', 'hint'];

export function isReviewItem(v: unknown): v is ReviewItem {
  return (
    isObject(v) &&
    typeof v.id === 'string' &&
    typeof v.name === 'string' &&
    typeof v.imageUri === 'string' &&
    isCount(v.width) &&
    isCount(v.height) &&
    (v.caption === null || typeof v.caption === 'string') &&
    Array.isArray(v.problems) &&
    v.problems.every((p) => isObject(p) && severities.includes(p.severity as string) && typeof p.message === 'string')
  );
}

export function parseHostToReview(value: unknown): HostToReviewMessage {
  const what = 'review host message';
  if (!isObject(value)) fail(what, 'expected an object');
  if (value.type === 'items' && typeof value.folder === 'string' && Array.isArray(value.items) && value.items.every(isReviewItem)) {
    return { type: 'items', folder: value.folder, items: value.items };
  }
  if (value.type === 'itemChanged' && isReviewItem(value.item)) return { type: 'itemChanged', item: value.item };
  if (value.type === 'itemRemoved' && typeof value.id === 'string') return { type: 'itemRemoved', id: value.id };
  fail(what, `malformed or unknown message ${JSON.stringify(value.type)}`);
}
