// End-to-end harness: the extension in a real VS Code (code-server) driven by headless Chromium
// through playwright-core. Everything a run writes (settings, extensions, caches, the browser
// profile) lives in one temporary folder; the workspace is a copy made per run because the
// browser build may save files. Waits are on what the screen shows, never on sleeps.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, cpSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const repoRoot = resolve(__dirname, '../..');
export const artifactsRoot = join(repoRoot, '.test-artifacts', 'e2e');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const timeouts = { workbench: 60_000, screen: 30_000, install: 20 * 60_000 };

/**
 * Installs code-server with scripts/install-code-server.sh into Embedding Studio's cache folder
 * (once; the script makes parallel test files wait for one install); returns its executable.
 */
export function installCodeServer(): string {
  const script = join(repoRoot, 'scripts', 'install-code-server.sh');
  const result = spawnSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: timeouts.install, killSignal: 'SIGKILL' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    throw new Error(`${script} did not finish within ${timeouts.install / 60_000} minutes (killed): waiting for the code-server install`);
  }
  const lines = (result.stdout ?? '').trim().split('\n');
  if (result.status !== 0 || lines.length === 0) throw new Error(`${script} failed (exit ${result.status}); see its output above`);
  return lines[lines.length - 1];
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface CodeServerOptions {
  /** The folder to open (copied into the run's folder first). */
  workspace: string;
  /** A VSIX to install; without it the repository folder is linked into the extensions folder. */
  vsix?: string;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** Start with Workspace Trust enabled (Restricted Mode until trusted). Default: trust disabled. */
  workspaceTrust?: boolean;
  /** Folder name under .test-artifacts/e2e for screenshots. */
  name: string;
}

export interface CodeServerSession {
  page: Page;
  /** The run's copy of the workspace. */
  workspace: string;
  artifacts: string;
  /** The code-server log (stdout and stderr). */
  log(): string;
  screenshot(step: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts an isolated code-server with our extension and opens the workspace in headless Chromium. */
export async function startCodeServer(options: CodeServerOptions): Promise<CodeServerSession> {
  const executable = installCodeServer();
  const runDir = mkdtempSync(join(tmpdir(), 'e2e-'));
  // Short names: Chromium and VS Code put Unix sockets in the temporary folder, and a socket path
  // may not exceed 107 bytes (Chromium's is TMPDIR/org.chromium.Chromium.XXXXXX/SingletonSocket).
  const dirs = Object.fromEntries(['tmp', 'config', 'cache', 'data', 'user-data', 'extensions', 'browser', 'home'].map((d) => [d, join(runDir, d === 'tmp' ? 't' : d)]));
  const longestSocket = join(dirs.tmp, 'org.chromium.Chromium.XXXXXX', 'SingletonSocket');
  if (Buffer.byteLength(longestSocket) > 107) {
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(`the temporary folder's path is too long for Chromium's socket (${longestSocket}: ${Buffer.byteLength(longestSocket)} bytes, at most 107): set TMPDIR to a shorter folder`);
  }
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const workspace = join(runDir, 'workspace');
  cpSync(options.workspace, workspace, { recursive: true });
  const env = { ...process.env, TMPDIR: dirs.tmp, XDG_CONFIG_HOME: dirs.config, XDG_CACHE_HOME: dirs.cache, XDG_DATA_HOME: dirs.data };

  mkdirSync(join(dirs['user-data'], 'User'), { recursive: true });
  writeFileSync(
    join(dirs['user-data'], 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'extensions.ignoreRecommendations': true,
      'files.autoSave': 'off',
      'workbench.tips.enabled': false,
      'chat.disableAIFeatures': true,
      // VS Code's port detection lists every process's open files (ls -l /proc/*/fd): with this
      // off, once when the extension host starts instead of every few seconds
      'remote.autoForwardPorts': false,
      ...options.settings,
    }),
  );
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const extensionArgs = ['--config', join(runDir, 'config.yaml'), '--user-data-dir', dirs['user-data'], '--extensions-dir', dirs.extensions];
  writeFileSync(join(runDir, 'config.yaml'), 'auth: none\n');
  if (options.vsix) {
    const installed = spawnSync(executable, [...extensionArgs, '--install-extension', options.vsix], { env, encoding: 'utf8', timeout: timeouts.workbench, killSignal: 'SIGKILL' });
    if (installed.error) throw new Error(`code-server --install-extension ${options.vsix}: ${installed.error.message} (waited ${timeouts.workbench} ms)`);
    if (installed.status !== 0) throw new Error(`code-server --install-extension ${options.vsix} failed:\n${installed.stdout}\n${installed.stderr}`);
  } else {
    symlinkSync(repoRoot, join(dirs.extensions, `${manifest.publisher}.${manifest.name}-${manifest.version}`), 'dir');
  }

  const port = await freePort();
  const args = [
    ...extensionArgs,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--ignore-last-opened',
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    workspace,
  ];
  const child: ChildProcess = spawn(executable, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  let context: BrowserContext | undefined;
  const artifacts = join(artifactsRoot, options.name);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  let shot = 0;

  const stop = async () => {
    await context?.close().catch(() => undefined);
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    rmSync(runDir, { recursive: true, force: true });
  };

  try {
    await waitForHealth(port, child, () => log);
    context = await chromium.launchPersistentContext(dirs.browser, {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      // HOME too: Debian's chromium launcher tidies $HOME/.config/chromium/Crash Reports
      env: { ...env, HOME: dirs.home },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: timeouts.workbench });
    return {
      page,
      workspace,
      artifacts,
      log: () => log,
      screenshot: async (step) => {
        shot++;
        await page.screenshot({ path: join(artifacts, `${String(shot).padStart(2, '0')}-${step}.png`) });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForHealth(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + timeouts.workbench;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    // Polling a port that is not open yet: the only wait that is not on the screen.
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`code-server did not answer on port ${port} within ${timeouts.workbench} ms:\n${log()}`);
}

/** Runs a command from the palette by its title (e.g. `Embedding Studio: Lint Dataset`). */
export async function runPaletteCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  // The palette closes when something takes the focus while the workbench settles (seen on a
  // loaded machine): then it is opened again, as a user would.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ timeout: timeouts.screen });
    await input.fill(`>${title}`);
    const outcome = await Promise.race([
      row.waitFor({ timeout: timeouts.screen }).then(() => 'shown' as const),
      page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeouts.screen }).then(() => 'closed' as const),
    ]).catch(() => 'timeout' as const);
    if (outcome === 'shown') break;
    if (outcome === 'timeout' || attempt === 3) throw new Error(`the command palette did not list "${title}" (${outcome === 'timeout' ? `within ${timeouts.screen} ms` : 'it closed three times'})`);
  }
  await row.click();
}

/** Opens a workspace file in an editor through Quick Open, and waits for its tab. */
export async function openFile(page: Page, name: string): Promise<Locator> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: timeouts.screen });
  await input.fill(name);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ timeout: timeouts.screen });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: timeouts.screen });
  const editor = activeEditor(page);
  await editor.waitFor({ timeout: timeouts.screen });
  return editor;
}

export function activeEditor(page: Page): Locator {
  return page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
}

/** The text of the active editor as rendered (non-breaking spaces normalised). */
export async function activeEditorText(page: Page): Promise<string> {
  return (await activeEditor(page).innerText()).replace(/\u00a0/g, ' ');
}

/** Opens the Problems panel and returns its rows' accessible labels (one per file or problem). */
export async function problemsRows(page: Page): Promise<string[]> {
  await showProblems(page);
  return page.locator('.markers-panel .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
}

async function showProblems(page: Page): Promise<void> {
  const panel = page.locator('.markers-panel');
  if (!(await panel.isVisible())) await page.keyboard.press('Control+Shift+M');
  await panel.waitFor({ timeout: timeouts.screen });
}

/** Waits until some Problems row's label matches (`present`), or until none does (`absent`). */
export async function waitForProblem(page: Page, match: RegExp, state: 'present' | 'absent' = 'present', timeout = timeouts.screen): Promise<string> {
  await showProblems(page);
  try {
    const handle = await page.waitForFunction(
      ({ source, flags, present }) => {
        const pattern = new RegExp(source, flags);
        const labels = Array.from(document.querySelectorAll('.markers-panel .monaco-list-row')).map((r) => r.getAttribute('aria-label') ?? '');
        const found = labels.find((l) => pattern.test(l));
        return present ? (found ?? false) : found === undefined ? 'absent' : false;
      },
      { source: match.source, flags: match.flags, present: state === 'present' },
      { timeout },
    );
    return (await handle.jsonValue()) as string;
  } catch (error) {
    throw new Error(`waiting for a Problems row ${state === 'present' ? 'matching' : 'no longer matching'} ${match}: ${(error as Error).message}\nrows:\n${(await problemsRows(page)).join('\n')}`);
  }
}

/**
 * Opens the quick-fix menu at the cursor (Ctrl+.) and chooses the action whose title matches,
 * with the keyboard (the menu's pointer shield swallows synthetic clicks).
 */
export async function applyQuickFix(page: Page, title: RegExp): Promise<void> {
  await page.keyboard.press('Control+.');
  const rows = page.locator('.action-widget .monaco-list-row.action');
  await rows.filter({ hasText: title }).first().waitFor({ timeout: timeouts.screen });
  const labels = await rows.evaluateAll((list) => list.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
  const target = labels.findIndex((l) => title.test(l));
  for (let step = 0; step <= labels.length; step++) {
    const focused = page.locator('.action-widget .monaco-list-row.action.focused');
    const label = (await focused.getAttribute('aria-label', { timeout: timeouts.screen })) ?? '';
    if (title.test(label)) {
      await page.keyboard.press('Enter');
      await page.locator('.action-widget').waitFor({ state: 'hidden', timeout: timeouts.screen });
      return;
    }
    await page.keyboard.press('ArrowDown');
    // Wait for the focus to move before reading it again.
    await page.locator('.action-widget .monaco-list-row.action.focused').and(page.locator(`[aria-label="${label.replace(/"/g, '\\"')}"]`)).waitFor({ state: 'detached', timeout: timeouts.screen });
  }
  throw new Error(`no quick fix matching ${title}; the menu had: ${labels.join(' | ')} (target index ${target})`);
}

/** Waits for the quick input (pick or input box) whose title contains `title`. */
export async function waitForQuickInput(page: Page, title: string, timeout = timeouts.screen): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout });
}

/** A row of the open quick pick: by text anywhere in it, or by a pattern on its label alone. */
export function quickInputRow(page: Page, match: string | RegExp): Locator {
  const rows = page.locator('.quick-input-list .monaco-list-row');
  return typeof match === 'string' ? rows.filter({ hasText: match }).first() : rows.filter({ has: page.locator('.label-name', { hasText: match }) }).first();
}

/**
 * Waits until `path` exists (and its bytes satisfy `ready`): for what the extension writes to
 * disk with nothing on the screen to wait on. Returns the bytes.
 */
export async function waitForFile(path: string, ready: (bytes: Buffer) => boolean = () => true, timeout = timeouts.screen): Promise<Buffer> {
  const deadline = Date.now() + timeout;
  for (;;) {
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(path);
    } catch {
      // not written yet
    }
    if (bytes && ready(bytes)) return bytes;
    if (Date.now() > deadline) throw new Error(`${path} was ${bytes ? 'not changed as expected' : 'not written'} within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The labels of the open quick input's rows. */
export async function quickInputLabels(page: Page): Promise<string[]> {
  return page.locator('.quick-input-list .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
}

/**
 * Chooses `folder` in code-server's own folder dialog (a quick input holding a path) titled
 * `title`. Typing the path lists the folder's entries; Enter is pressed only once the list has
 * changed from the first folder's, since an Enter before that accepts the folder shown first.
 * `folder` must list differently from the folder the dialog opens at.
 */
export async function chooseFolderInDialog(page: Page, title: string, folder: string): Promise<void> {
  await waitForQuickInput(page, title);
  await page.locator('.quick-input-list .monaco-list-row').nth(1).waitFor({ timeout: timeouts.screen });
  const first = JSON.stringify(await quickInputLabels(page));
  await page.locator('.quick-input-widget input').fill(folder.endsWith('/') ? folder : `${folder}/`);
  await page.waitForFunction(
    (before) => {
      const labels = Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).map((r) => r.getAttribute('aria-label') ?? r.textContent ?? '');
      return labels.length > 0 && JSON.stringify(labels) !== before && labels.some((l) => l.startsWith('..'));
    },
    first,
    { timeout: timeouts.screen },
  );
  await page.keyboard.press('Enter');
}

/** Runs a test body; on failure saves a screenshot of the screen as it was (then rethrows). */
export async function withFailureScreenshot(session: CodeServerSession | undefined, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    await session?.screenshot('failure').catch(() => undefined);
    throw error;
  }
}
