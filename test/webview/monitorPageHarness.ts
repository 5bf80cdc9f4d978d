// Loads the built monitor page in real headless Chromium, as the panel shows it: the same HTML
// (monitorHtml), the bundled script, a stand-in for VS Code's webview API that records what the
// page posts and keeps its state (JSON round-tripped, as VS Code does), and the theme variables.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { monitorHtml } from '../../src/extension/monitorHtml';
import type { HostToMonitorMessage, MonitorToHostMessage } from '../../src/protocol/webviewMessages';
import { themeInitScript, type ThemeKind } from './vscodeThemes';
import { timeLimits } from '../support/timeLimits';

export const repoRoot = resolve(__dirname, '../..');
export const artifactsDir = join(repoRoot, '.test-artifacts', 'webview');
const bundle = join(repoRoot, 'dist', 'webview', 'monitor.js');
const chromiumPath = '/usr/bin/chromium';

function newestSource(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir).map((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? newestSource(path) : statSync(path).mtimeMs;
    }),
  );
}

/** `npm test` builds first; a test run on its own rebuilds when the page's sources are newer than the bundle. */
export function ensureBuilt(): void {
  const sources = Math.max(newestSource(join(repoRoot, 'webview', 'monitor')), newestSource(join(repoRoot, 'src', 'protocol')));
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= sources) return;
  const result = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: repoRoot, stdio: 'inherit', timeout: timeLimits.command });
  if (result.status !== 0 || !existsSync(bundle)) throw new Error(`npm run build failed: ${bundle} was not produced`);
}

export interface MonitorBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Chromium's environment for a browser whose profile is `userDataDir`: its config and cache
 * folders (the crash-report database, font caches) go there too, not under the user's home, and
 * so does HOME (Debian's chromium launcher tidies $HOME/.config/chromium/Crash Reports).
 */
export function browserEnv(userDataDir: string): Record<string, string | undefined> {
  return { ...process.env, HOME: join(userDataDir, 'home'), XDG_CONFIG_HOME: join(userDataDir, 'config'), XDG_CACHE_HOME: join(userDataDir, 'cache') };
}

export async function launchMonitorBrowser(): Promise<MonitorBrowser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: install it with \`apt-get update && apt-get install -y chromium\``);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'monitor-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 1000 },
    env: browserEnv(userDataDir),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

function writePageHtml(): string {
  mkdirSync(artifactsDir, { recursive: true });
  const file = join(artifactsDir, 'monitor.html');
  writeFileSync(
    file,
    monitorHtml({
      scriptUri: pathToFileURL(bundle).href,
      styleUri: pathToFileURL(join(repoRoot, 'media', 'monitor.css')).href,
      // Pages here come from file: URLs; in VS Code this is the webview resource origin.
      cspSource: 'file:',
      nonce: 'TestNonce0123456789abcdefABCDEF',
    }),
  );
  return file;
}

/** The stand-in for acquireVsCodeApi, run before the page's own script. */
function vscodeStandIn(initialState: unknown): void {
  const host = { posted: [] as unknown[], state: initialState, acquired: 0 };
  (window as unknown as { __host: typeof host }).__host = host;
  (window as unknown as { acquireVsCodeApi: unknown }).acquireVsCodeApi = () => {
    if (++host.acquired > 1) throw new Error('acquireVsCodeApi called twice');
    return {
      postMessage: (message: unknown) => {
        host.posted.push(JSON.parse(JSON.stringify(message)));
        (window as unknown as { __toHost?: (m: unknown) => void }).__toHost?.(JSON.parse(JSON.stringify(message)));
      },
      getState: () => host.state,
      setState: (state: unknown) => {
        host.state = JSON.parse(JSON.stringify(state));
      },
    };
  };
}

export interface MonitorPage {
  page: Page;
  /** Console errors and Content-Security-Policy violations seen by the page. */
  problems: string[];
  post(message: HostToMonitorMessage): Promise<void>;
  posted(): Promise<MonitorToHostMessage[]>;
  state(): Promise<unknown>;
  /** Waits until the page has drawn what it was sent (messages posted before are handled first). */
  settle(): Promise<void>;
}

export async function openMonitorPage(
  context: BrowserContext,
  options: { theme?: ThemeKind; state?: unknown; toHost?: (message: unknown) => void } = {},
): Promise<MonitorPage> {
  const page = await context.newPage();
  // Delivers what the page posts to a host living in the test process (e.g. a real MonitorFeed).
  if (options.toHost) await page.exposeFunction('__toHost', options.toHost);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // tsx compiles our callbacks with esbuild's keepNames, which wraps functions in __name(): give
  // the page a no-op one so the callbacks serialised into it by page.evaluate run there.
  await page.addInitScript('window.__name = (target) => target;');
  await page.addInitScript(themeInitScript(options.theme ?? 'dark'));
  await page.addInitScript(vscodeStandIn, options.state);
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
  });
  await page.goto(pathToFileURL(writePageHtml()).href);
  await page.waitForFunction(() => (window as unknown as { __monitor?: unknown }).__monitor !== undefined);
  const settle = () => page.evaluate(() => (window as unknown as { __monitor: { whenDrawn(): Promise<void> } }).__monitor.whenDrawn());
  await settle();
  return {
    page,
    problems,
    async post(message) {
      // window.postMessage delivers in a later task: resolve once the page's own handler (added
      // first, so called first) has run, so that a settle() after it sees the message's effect.
      await page.evaluate(
        (m) =>
          new Promise<void>((delivered) => {
            window.addEventListener('message', () => delivered(), { once: true });
            window.postMessage(m, '*');
          }),
        message,
      );
    },
    posted: () => page.evaluate(() => (window as unknown as { __host: { posted: MonitorToHostMessage[] } }).__host.posted),
    state: () => page.evaluate(() => (window as unknown as { __host: { state: unknown } }).__host.state),
    settle,
  };
}
