// The caption language server's LSP wiring: indexes every workspace folder on initialize,
// publishes diagnostics for the whole dataset (captions, and images without one on the image's
// URI), re-lints on edits (in-memory text, lightly debounced) and on watched-file events, and
// answers code actions, completion and hover. All domain logic is behind `DatasetLinter`.
import {
  CodeActionKind,
  TextDocumentSyncKind,
  TextDocuments,
  FileChangeType,
  MessageType,
  ShowMessageNotification,
  type Connection,
  type Diagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { sep } from 'node:path';
import type { LintDiagnostic } from '../lint/types';
import { publishedForm } from '../lint/reportedDiagnostic';
import {
  datasetStatisticsRequest,
  relintDatasetRequest,
  ruleDocRequest,
  serverStatusNotification,
  type CaptionServerInitializationOptions,
  type DatasetStatistics,
} from '../protocol/languageServerMessages';
import { codeActionsFor, fixAllKind, mergeEdits, type DeferredActionData } from './codeActions';
import type { DatasetLinter } from './datasetLinter';
import { FileUris } from './fileUri';
import { toLspDiagnostic } from './lspDiagnostics';
import { readServerSettings } from './serverSettings';
import { tagCompletions } from './tagCompletion';
import { tagHover } from './tagHover';

const defaultDebounceMs = 150;

export function startCaptionServer(connection: Connection, linter: DatasetLinter): void {
  const documents = new TextDocuments(TextDocument);
  const uris = new FileUris();
  let folders: string[] = [];
  let debounceMs = defaultDebounceMs;
  /** The diagnostics last computed, by file, and those last published (to publish changes only). */
  let current: ReadonlyMap<string, LintDiagnostic[]> = new Map();
  const published = new Map<string, LintDiagnostic[]>();
  let relintTimer: NodeJS.Timeout | undefined;
  /** Open captions edited since the last lint: published even when unchanged, with their version. */
  const editedSinceLint = new Set<string>();
  let ready: Promise<void> = Promise.resolve();

  function lintAndPublish(): { files: number; diagnostics: number } {
    if (relintTimer) clearTimeout(relintTimer);
    relintTimer = undefined;
    const result = linter.lint();
    current = result.all;
    const toPublish = new Set<string>(result.changed === 'all' ? [...current.keys(), ...published.keys()] : result.changed);
    for (const file of editedSinceLint) toPublish.add(file);
    for (const file of toPublish) publish(file, current.get(file) ?? []);
    editedSinceLint.clear();
    let diagnosticCount = 0;
    for (const list of current.values()) diagnosticCount += list.length;
    return { files: current.size, diagnostics: diagnosticCount };
  }

  function publish(file: string, list: LintDiagnostic[]): void {
    // An edited file is always published (with its version); others only when what the editor
    // shows would change. Nothing published before: nothing to compare (the cold start).
    if (!editedSinceLint.has(file)) {
      const previous = published.get(file);
      if (previous === undefined ? list.length === 0 : previous === list || publishedForm(previous) === publishedForm(list)) return;
    }
    if (list.length === 0) published.delete(file);
    else published.set(file, list);
    const diagnostics: Diagnostic[] = list.map(toLspDiagnostic);
    const uri = uris.toUri(file);
    const version = documents.get(uri)?.version;
    void connection.sendDiagnostics({ uri, diagnostics, version });
  }

  function scheduleRelint(): void {
    if (relintTimer) clearTimeout(relintTimer);
    // With no debounce, still coalesce a burst of messages already queued on the connection.
    relintTimer = debounceMs > 0 ? setTimeout(safeRelint, debounceMs) : setImmediate(safeRelint) as unknown as NodeJS.Timeout;
  }

  function safeRelint(): void {
    relintTimer = undefined;
    try {
      lintAndPublish();
    } catch (error) {
      reportFailure('linting failed', error);
    }
  }

  function reportFailure(what: string, error: unknown): void {
    const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
    connection.console.error(message);
    void connection.sendNotification(serverStatusNotification, { state: 'failed', message });
  }

  async function reindex(): Promise<{ files: number; diagnostics: number; milliseconds: number }> {
    const started = performance.now();
    void connection.sendNotification(serverStatusNotification, { state: 'indexing', message: `Indexing ${folders.length} folder(s)` });
    const problems = await linter.index(folders);
    for (const problem of problems) void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `Embedding Studio: ${problem}` });
    // Unsaved editor text wins over the disk's.
    for (const document of documents.all()) {
      const path = uris.toPath(document.uri);
      if (path) await linter.setOpenText(path, document.getText());
    }
    const indexed = performance.now();
    const counts = lintAndPublish();
    const finished = performance.now();
    const milliseconds = Math.round(finished - started);
    // Where the time went, for the user's status bar tooltip and for benchmarks.
    const split = `indexed in ${Math.round(indexed - started)} ms, linted and published in ${Math.round(finished - indexed)} ms`;
    void connection.sendNotification(serverStatusNotification, {
      state: 'ready',
      message: `${counts.diagnostics} problem(s) in ${counts.files} file(s) (${split})${problems.length > 0 ? `; not indexed: ${problems.join('; ')}` : ''}`,
    });
    return { ...counts, milliseconds };
  }

  connection.onInitialize((params): InitializeResult => {
    const options = (params.initializationOptions ?? {}) as Partial<CaptionServerInitializationOptions>;
    if (typeof options.debounceMs === 'number' && options.debounceMs >= 0) debounceMs = options.debounceMs;
    linter.configure(readServerSettings(options.settings));
    folders = (params.workspaceFolders ?? [])
      .map((f) => uris.toPath(f.uri))
      .filter((p): p is string => p !== undefined);
    if (folders.length === 0 && params.rootUri) {
      const root = uris.toPath(params.rootUri);
      if (root) folders.push(root);
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, fixAllKind], resolveProvider: true },
        completionProvider: { triggerCharacters: [',', ' '] },
        hoverProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'Embedding Studio caption server' },
    };
  });

  // an image found damaged after indexing (the background decode) is published like an edit
  linter.onBackgroundChange?.(() => scheduleRelint());

  connection.onInitialized(() => {
    ready = reindex().then(
      () => undefined,
      (error) => reportFailure('indexing the workspace failed', error),
    );
    connection.workspace.onDidChangeWorkspaceFolders((event) => {
      const removed = new Set(event.removed.map((f) => uris.toPath(f.uri)));
      folders = folders.filter((f) => !removed.has(f));
      for (const added of event.added) {
        const path = uris.toPath(added.uri);
        if (path) folders.push(path);
      }
      ready = ready.then(() => reindex()).then(
        () => undefined,
        (error) => reportFailure('indexing the workspace failed', error),
      );
    });
  });

  // The client pushes the `embeddingStudio` section (languageclient `synchronize.configurationSection`).
  connection.onDidChangeConfiguration(async (change) => {
    const pushed = (change.settings as { embeddingStudio?: unknown } | undefined)?.embeddingStudio;
    const raw = pushed ?? (await connection.workspace.getConfiguration('embeddingStudio').catch(() => undefined));
    linter.configure(readServerSettings(raw));
    await ready;
    safeRelint();
  });

  // Opening a caption and typing in it are the same to the linter: the editor's text wins over the disk's.
  const takeEditorText = async ({ document }: { document: TextDocument }): Promise<void> => {
    const path = uris.toPath(document.uri);
    if (!path) return;
    await ready;
    await linter.setOpenText(path, document.getText());
    editedSinceLint.add(path);
    scheduleRelint();
  };
  documents.onDidOpen(takeEditorText);
  documents.onDidChangeContent(takeEditorText);
  documents.onDidClose(async ({ document }) => {
    const path = uris.toPath(document.uri);
    if (!path) return;
    await ready;
    await linter.setOpenText(path, undefined);
    scheduleRelint();
  });

  connection.onDidChangeWatchedFiles(async ({ changes }) => {
    await ready;
    for (const change of changes) {
      const path = uris.toPath(change.uri);
      if (!path) continue;
      const kind = change.type === FileChangeType.Created ? 'created' : change.type === FileChangeType.Deleted ? 'deleted' : 'changed';
      try {
        await linter.fileChanged(path, kind);
      } catch (error) {
        reportFailure(`reading ${path} failed`, error);
      }
    }
    scheduleRelint();
  });

  connection.onCodeAction(async (params) => {
    await ready;
    const path = uris.toPath(params.textDocument.uri);
    if (!path) return [];
    // An edit may still be waiting for its re-lint: lint now so fixes match the text.
    if (relintTimer) safeRelint();
    return codeActionsFor(
      { file: path, range: params.range, contextDiagnostics: params.context.diagnostics, only: params.context.only },
      current.get(path) ?? [],
      (p) => uris.toUri(p),
    );
  });

  connection.onCodeActionResolve(async (action) => {
    const data = action.data as DeferredActionData | undefined;
    if (!data?.deferred || action.edit) return action;
    await ready;
    if (relintTimer) safeRelint();
    return { ...action, edit: mergeEdits(linter.resolveFix(data.deferred), (p) => uris.toUri(p)) };
  });

  connection.onCompletion(async (params) => {
    await ready;
    const document = documents.get(params.textDocument.uri);
    const path = uris.toPath(params.textDocument.uri);
    if (!document || !path || !linter.isCaption(path)) return [];
    const usage = linter.tagUsage();
    const captions = linter.captionCount();
    const present = new Set(linter.tagsOf(document.getText()).map((t) => t.key));
    return tagCompletions(document, document.offsetAt(params.position), { usage, known: linter.knownTags(), present, datasetSize: captions }, (t) => linter.keyOf(t));
  });

  connection.onHover(async (params) => {
    await ready;
    const document = documents.get(params.textDocument.uri);
    const path = uris.toPath(params.textDocument.uri);
    if (!document || !path || !linter.isCaption(path)) return null;
    const offset = document.offsetAt(params.position);
    const span = linter.tagsOf(document.getText()).find((t) => t.start <= offset && offset <= t.end);
    if (!span) return null;
    if (relintTimer) safeRelint();
    const range = { start: document.positionAt(span.start), end: document.positionAt(span.end) };
    const findings = (current.get(path) ?? [])
      .filter((d) => document.offsetAt(d.range.start) < span.end && document.offsetAt(d.range.end) > span.start)
      .map((diagnostic) => ({ diagnostic, summary: linter.ruleDoc(diagnostic.code)?.summary }));
    const captions = linter.captionCount();
    return tagHover(
      {
        span,
        usage: linter.tagUsage().get(span.key),
        files: linter.filesWithTag(span.key),
        datasetSize: captions,
        category: linter.categoryOf(span.key),
        findings,
      },
      range,
    );
  });

  connection.onRequest(ruleDocRequest, ({ id }) => linter.ruleDoc(id) ?? null);

  connection.onRequest(relintDatasetRequest, async () => {
    await ready;
    const result = reindex();
    ready = result.then(() => undefined, () => undefined);
    return result;
  });

  connection.onRequest(datasetStatisticsRequest, async (): Promise<DatasetStatistics[]> => {
    await ready;
    if (relintTimer) safeRelint();
    return linter.summaries().map((summary) => {
      const inFolder = (file: string) => file.startsWith(summary.folder.endsWith(sep) ? summary.folder : summary.folder + sep) || file === summary.folder;
      const problems = new Map<string, number>();
      for (const [file, list] of current) {
        if (!inFolder(file)) continue;
        for (const d of list) problems.set(d.code, (problems.get(d.code) ?? 0) + 1);
      }
      return {
        ...summary,
        problemsByRule: [...problems].map(([rule, count]) => ({ rule, count })).sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
      };
    });
  });

  documents.listen(connection);
  connection.listen();
}
