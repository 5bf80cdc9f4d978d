// Typed messages between the extension host (or any other owner) and the tagger child process
// (dist/tagger.js, entry src/dataset/taggerWorker.ts). Host -> tagger: TaggerCommand.
// Tagger -> host: TaggerEvent. Each side validates what it receives with parseTaggerCommand /
// parseTaggerEvent: a message from another process is untrusted input until checked.

export interface TaggerSelection {
  generalThreshold?: number;
  characterThreshold?: number;
  generalMcut?: boolean;
  characterMcut?: boolean;
  includeRating?: boolean;
  exclude?: string[];
  alwaysFirst?: string[];
  replaceUnderscores?: boolean;
  escapeParentheses?: boolean;
}

export interface ScoredTagMessage {
  name: string;
  score: number;
}

export type TaggerCommand =
  /** Tag images with a model (loaded once and kept while the same model/tags/provider are asked for). */
  | {
      type: 'tag';
      requestId: string;
      modelPath: string;
      tagsPath: string;
      /** 'auto' | 'cuda' | 'dml' | 'webgpu' | 'cpu' */
      provider: string;
      images: string[];
      selection: TaggerSelection;
      batchSize?: number;
    }
  /** Stop a running request after the current batch. */
  | { type: 'cancel'; requestId: string }
  | { type: 'shutdown' };

export type TaggerEvent =
  | { type: 'ready' }
  | {
      type: 'modelLoaded';
      requestId: string;
      provider: string;
      providerNotes: string[];
      inputName: string;
      size: number;
      /** The model's fixed batch size, or null when the batch dimension is dynamic. */
      fixedBatch: number | null;
      tagCount: number;
    }
  | {
      type: 'imageTagged';
      requestId: string;
      image: string;
      /** Caption tags in order (formatted, exclusions applied, always-first tags first). */
      tags: string[];
      rating: ScoredTagMessage | null;
      general: ScoredTagMessage[];
      character: ScoredTagMessage[];
      done: number;
      total: number;
    }
  | { type: 'imageFailed'; requestId: string; image: string; reason: string; done: number; total: number }
  | { type: 'finished'; requestId: string; tagged: number; failed: number; cancelled: boolean; outputKind: string }
  | { type: 'error'; requestId: string | null; message: string };

export class TaggerProtocolError extends Error {}

type FieldKind = 'string' | 'number' | 'boolean' | 'object' | 'strings' | 'scoredTags' | 'number?' | 'number|null' | 'string|null' | 'scoredTag|null';

const commandShapes: Record<TaggerCommand['type'], Record<string, FieldKind>> = {
  tag: { requestId: 'string', modelPath: 'string', tagsPath: 'string', provider: 'string', images: 'strings', selection: 'object', batchSize: 'number?' },
  cancel: { requestId: 'string' },
  shutdown: {},
};

const eventShapes: Record<TaggerEvent['type'], Record<string, FieldKind>> = {
  ready: {},
  modelLoaded: { requestId: 'string', provider: 'string', providerNotes: 'strings', inputName: 'string', size: 'number', fixedBatch: 'number|null', tagCount: 'number' },
  imageTagged: { requestId: 'string', image: 'string', tags: 'strings', rating: 'scoredTag|null', general: 'scoredTags', character: 'scoredTags', done: 'number', total: 'number' },
  imageFailed: { requestId: 'string', image: 'string', reason: 'string', done: 'number', total: 'number' },
  finished: { requestId: 'string', tagged: 'number', failed: 'number', cancelled: 'boolean', outputKind: 'string' },
  error: { requestId: 'string|null', message: 'string' },
};

const selectionShape: Record<keyof TaggerSelection, 'number' | 'boolean' | 'strings'> = {
  generalThreshold: 'number',
  characterThreshold: 'number',
  generalMcut: 'boolean',
  characterMcut: 'boolean',
  includeRating: 'boolean',
  exclude: 'strings',
  alwaysFirst: 'strings',
  replaceUnderscores: 'boolean',
  escapeParentheses: 'boolean',
};

const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isScoredTag = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as ScoredTagMessage).name === 'string' && isNumber((v as ScoredTagMessage).score);

function fits(kind: FieldKind | 'strings', v: unknown): boolean {
  switch (kind) {
    case 'string':
    case 'boolean':
      return typeof v === kind;
    case 'number':
      return isNumber(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'strings':
      return Array.isArray(v) && v.every((s) => typeof s === 'string');
    case 'scoredTags':
      return Array.isArray(v) && v.every(isScoredTag);
    case 'number?':
      return v === undefined || isNumber(v);
    case 'number|null':
      return v === null || isNumber(v);
    case 'string|null':
      return v === null || typeof v === 'string';
    case 'scoredTag|null':
      return v === null || isScoredTag(v);
  }
}

function check(value: unknown, shapes: Record<string, Record<string, FieldKind>>, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TaggerProtocolError(`${what}: expected an object, got ${value === null ? 'null' : typeof value}`);
  const message = value as Record<string, unknown>;
  if (typeof message.type !== 'string' || !(message.type in shapes)) throw new TaggerProtocolError(`${what}: unknown message type ${JSON.stringify(message.type)}`);
  for (const [field, kind] of Object.entries(shapes[message.type])) {
    if (!fits(kind, message[field])) throw new TaggerProtocolError(`${what} '${message.type}': field '${field}' should be ${kind}, got ${JSON.stringify(message[field])}`);
  }
  return message;
}

export function parseTaggerCommand(value: unknown): TaggerCommand {
  const message = check(value, commandShapes, 'tagger command');
  if (message.type === 'tag') {
    const selection = message.selection as Record<string, unknown>;
    for (const [field, v] of Object.entries(selection)) {
      const kind = selectionShape[field as keyof TaggerSelection];
      if (!kind) throw new TaggerProtocolError(`tagger command 'tag': unknown selection option '${field}'`);
      if (!fits(kind, v)) throw new TaggerProtocolError(`tagger command 'tag': selection '${field}' should be ${kind}, got ${JSON.stringify(v)}`);
    }
    for (const field of ['generalThreshold', 'characterThreshold'] as const) {
      const t = selection[field] as number | undefined;
      if (t !== undefined && (t < 0 || t > 1)) throw new TaggerProtocolError(`tagger command 'tag': ${field} must be between 0 and 1, got ${t}`);
    }
  }
  return message as unknown as TaggerCommand;
}

export function parseTaggerEvent(value: unknown): TaggerEvent {
  return check(value, eventShapes, 'tagger event') as unknown as TaggerEvent;
}
