// The tagger child process (bundled as dist/tagger.js): onnxruntime-node loads here and only
// here, so a native crash in a model or an execution provider cannot take the editor down.
// Speaks src/protocol/taggerMessages.ts over the Node IPC channel; every command is validated.
import { parseTaggerCommand, type TaggerCommand, type TaggerEvent, type TaggerSelection } from '../protocol/taggerMessages';
import type { ProviderChoice } from '../onnx/session';
import { Tagger } from './tagger';
import type { TagSelectionOptions } from './taggerThresholds';

const providers: readonly string[] = ['auto', 'cuda', 'dml', 'webgpu', 'cpu'];

function send(event: TaggerEvent): void {
  process.send?.(event);
}

export function selectionOptions(selection: TaggerSelection): Partial<TagSelectionOptions> {
  const { replaceUnderscores, escapeParentheses, ...rest } = selection;
  return { ...rest, style: { replaceUnderscores: replaceUnderscores ?? true, escapeParentheses: escapeParentheses ?? true } };
}

let loaded: { key: string; tagger: Tagger } | null = null;
const running = new Map<string, AbortController>();
let queue: Promise<void> = Promise.resolve();

async function runTag(command: Extract<TaggerCommand, { type: 'tag' }>): Promise<void> {
  const { requestId } = command;
  const controller = running.get(requestId) ?? new AbortController();
  try {
    if (!providers.includes(command.provider)) throw new Error(`unknown execution provider '${command.provider}': use one of ${providers.join(', ')}`);
    const key = JSON.stringify([command.modelPath, command.tagsPath, command.provider]);
    if (loaded?.key !== key) {
      await loaded?.tagger.release();
      loaded = null;
      loaded = { key, tagger: await Tagger.open(command.modelPath, command.tagsPath, { provider: command.provider as ProviderChoice }) };
    }
    const { tagger } = loaded;
    send({ type: 'modelLoaded', requestId, provider: tagger.provider, providerNotes: [...tagger.providerNotes], ...tagger.model });
    let failed = 0;
    const tagged = await tagger.tagImages(command.images, {
      selection: selectionOptions(command.selection),
      batchSize: command.batchSize,
      signal: controller.signal,
      onImage: ({ image, result }, done, total) =>
        send({ type: 'imageTagged', requestId, image, tags: result.captionTags, rating: result.rating, general: result.general, character: result.character, done, total }),
      onFailure: (image, reason, done, total) => {
        failed++;
        send({ type: 'imageFailed', requestId, image, reason, done, total });
      },
    });
    send({ type: 'finished', requestId, tagged: tagged.length, failed, cancelled: controller.signal.aborted, outputKind: tagger.outputKind });
  } catch (error) {
    send({ type: 'error', requestId, message: error instanceof Error ? error.message : String(error) });
  } finally {
    running.delete(requestId);
  }
}

function onMessage(raw: unknown): void {
  let command: TaggerCommand;
  try {
    command = parseTaggerCommand(raw);
  } catch (error) {
    send({ type: 'error', requestId: null, message: (error as Error).message });
    return;
  }
  if (command.type === 'cancel') {
    running.get(command.requestId)?.abort();
  } else if (command.type === 'shutdown') {
    queue = queue.then(async () => {
      await loaded?.tagger.release();
      process.disconnect?.();
      process.exit(0);
    });
  } else {
    running.set(command.requestId, new AbortController());
    queue = queue.then(() => runTag(command));
  }
}

if (require.main === module) {
  if (!process.send) {
    process.stderr.write('tagger worker: start it with child_process.fork (it talks over the IPC channel); for the command line use `embedding-studio tag`\n');
    process.exit(2);
  }
  process.on('message', onMessage);
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}
