// The second node:test reporter of scripts/test.mjs (the first is spec, on the console). It
// - writes the TAP report to $EMBEDDING_STUDIO_TAP_FILE (one reporter doing both: a third reporter
//   makes node:test warn about its own listeners);
// - names, at the end, the test a file was running when it was stopped at the time limit: Node
//   reports the file ("test timed out after …") but not the test. It follows which tests each file
//   has started (test:dequeue) and not finished.
import { createWriteStream } from 'node:fs';
import { relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tap } from 'node:test/reporters';

const where = (data) => (data.file ? `${relative(process.cwd(), data.file)}${data.line ? `:${data.line}` : ''}` : '');

export default async function* testRunReporter(source) {
  const tapFile = process.env.EMBEDDING_STUDIO_TAP_FILE;
  const events = new PassThrough({ objectMode: true });
  const tapWritten = tapFile ? pipeline(events, tap, createWriteStream(tapFile)) : undefined;
  /** file → started, unfinished tests (outermost first). */
  const running = new Map();
  const stopped = [];
  for await (const event of source) {
    if (tapWritten) events.write(event);
    const data = event.data ?? {};
    const file = data.file;
    if (!file) continue;
    const fileLevel = data.nesting === 0 && data.name === file;
    if (event.type === 'test:dequeue' && !fileLevel) {
      if (!running.has(file)) running.set(file, []);
      running.get(file).push({ name: data.name, nesting: data.nesting, at: where(data) });
    } else if (event.type === 'test:pass' || event.type === 'test:fail') {
      if (fileLevel) {
        if (event.type === 'test:fail' && data.details?.error?.failureType === 'testTimeoutFailure') stopped.push({ file, tests: running.get(file) ?? [] });
        running.delete(file);
        continue;
      }
      const list = running.get(file);
      const index = list?.findIndex((t) => t.name === data.name && t.nesting === data.nesting) ?? -1;
      if (index >= 0) list.splice(index, 1);
    }
  }
  events.end();
  await tapWritten;
  if (stopped.length === 0) return;
  let text = '\nTest files stopped at the time limit (--test-timeout):\n';
  for (const { file, tests } of stopped) {
    const names = tests.map((t) => `"${t.name}" (${t.at})`);
    text += `  ${relative(process.cwd(), file)}: ${names.length ? `was running ${names.join(' › ')}` : 'its tests had all finished: something it started kept the process alive'}\n`;
  }
  yield text;
}
