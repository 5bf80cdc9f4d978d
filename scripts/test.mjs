// Runs every test/**/*.test.ts with Node's built-in test runner (TypeScript through tsx), in one
// run so there is one closing summary. The end-to-end tests (test/e2e: a real VS Code through
// code-server and headless Chromium) are included and start first, being the longest.
//   node scripts/test.mjs [--unit | --e2e] [--test-timeout=MS] [PATH-SUBSTRING...]
// `--unit` leaves the end-to-end tests out, `--e2e` runs only them; other arguments keep the test
// files whose path contains one of them.
//
// What a run guarantees:
// - One temporary folder per run: TMPDIR, TEMP and TMP point into it for every test process and
//   everything they start, so each os.tmpdir() lands there; it is removed at the end, on failure,
//   and on Ctrl+C / SIGTERM too.
// - A time limit for every test and for every test file (--test-timeout, default 10 minutes): a
//   test that waits forever fails with "test timed out", and a file that never ends is stopped.
// - Processes the tests started and left running (a hung server, a CLI that never exited) are
//   found by a marker in their environment, listed by pid and command line, and killed.
// - The console shows the spec reporter (failures again at the end) and, for a file stopped at
//   the time limit, the test it was running; scripts/testRunReporter.mjs also writes the TAP
//   report to .test-artifacts/test-results.tap, whose closing counts (`# tests`, `# pass`,
//   `# fail`…) are printed last, then one line `N passed, N failed`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const only = args.includes('--e2e') ? 'e2e' : args.includes('--unit') ? 'unit' : 'all';
const timeoutArgument = args.find((a) => a.startsWith('--test-timeout='));
const testTimeoutMs = timeoutArgument ? Number(timeoutArgument.slice('--test-timeout='.length)) : 10 * 60_000;
if (!Number.isInteger(testTimeoutMs) || testTimeoutMs <= 0) {
  console.error(`--test-timeout expects milliseconds, got ${timeoutArgument}`);
  process.exit(2);
}
const unknown = args.filter((a) => a.startsWith('--') && !['--e2e', '--unit'].includes(a) && a !== timeoutArgument);
if (unknown.length > 0) {
  console.error(`unknown option ${unknown.join(' ')}; usage: node scripts/test.mjs [--unit | --e2e] [--test-timeout=MS] [PATH-SUBSTRING...]`);
  process.exit(2);
}
const filters = args.filter((a) => !a.startsWith('--'));

function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? collect(path) : path.endsWith('.test.ts') ? [path] : [];
  });
}
const isE2e = (f) => f.startsWith(join('test', 'e2e'));
const files = collect('test')
  .filter((f) => only === 'all' || isE2e(f) === (only === 'e2e'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort((a, b) => Number(!isE2e(a)) - Number(!isE2e(b)) || a.localeCompare(b));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// Browser, webview and e2e tests drive Debian's Chromium: no browser download is possible here.
const needsBrowser = files.some((f) => isE2e(f) || f.startsWith(join('test', 'webview')));
if (needsBrowser && !existsSync('/usr/bin/chromium')) {
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('Installing Debian chromium for the browser tests (apt-get)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    const install = update.status === 0 && spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env });
    if (!install || install.status !== 0) {
      console.error('Could not install chromium with apt-get; install it (`apt-get install chromium`) or run `npm run test:unit`.');
      process.exit(1);
    }
  } else {
    console.error('The browser tests need /usr/bin/chromium: `sudo apt-get install chromium` (Debian/Ubuntu), or run `npm run test:unit`.');
    process.exit(1);
  }
}
// code-server is installed (once, into the cache folder) before the tests start, so that the
// install's minutes do not count against the first end-to-end test's time limit.
if (files.some(isE2e)) {
  const install = spawnSync('bash', [join('scripts', 'install-code-server.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (install.status !== 0) {
    console.error('Could not install code-server for the end-to-end tests (see above); `npm run test:unit` runs the others.');
    process.exit(1);
  }
}

// A short name: the end-to-end tests put Unix sockets (at most 107 bytes of path) below it.
const root = mkdtempSync(join(tmpdir(), 'es-tests-'));
// Every process of this run inherits the marker; leftovers are found by it.
const marker = `EMBEDDING_STUDIO_TEST_RUN=${root}`;
const artifacts = '.test-artifacts';
mkdirSync(artifacts, { recursive: true });
const tapFile = join(artifacts, 'test-results.tap');
rmSync(tapFile, { force: true });
const env = { ...process.env, TMPDIR: root, TEMP: root, TMP: root, EMBEDDING_STUDIO_TEST_RUN: root, EMBEDDING_STUDIO_TAP_FILE: resolve(tapFile) };

// --test-timeout came with Node 20.11.
const [major, minor] = process.versions.node.split('.').map(Number);
const timeLimitSupported = major > 20 || (major === 20 && minor >= 11);
const limit = timeLimitSupported ? `time limit ${testTimeoutMs / 60_000} min per test and per file` : `no time limit: Node ${process.versions.node} lacks --test-timeout (20.11+)`;
console.log(`${files.length} test files${only === 'all' ? '' : ` (${only})`}; temporary folder ${root}; ${limit}`);
const child = spawn(
  process.execPath,
  [
    '--import', 'tsx',
    '--test',
    '--test-concurrency=2',
    ...(timeLimitSupported ? [`--test-timeout=${testTimeoutMs}`] : []),
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${pathToFileURL(resolve('scripts', 'testRunReporter.mjs')).href}`, '--test-reporter-destination=stdout',
    ...files,
  ],
  // its own process group, so that on Ctrl+C the whole tree is stopped here, in order
  { stdio: 'inherit', env, detached: true },
);

/** Processes started by this run that are still alive: [pid, command line]. Linux only (/proc). */
function leftoverProcesses() {
  if (!existsSync('/proc/self/environ')) return [];
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`).toString('utf8').split('\0').includes(marker)) continue;
      const command = readFileSync(`/proc/${name}/cmdline`).toString('utf8').split('\0').filter(Boolean).join(' ');
      if (command) found.push([Number(name), command]);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function killLeftovers(why) {
  let left = leftoverProcesses();
  if (left.length === 0) return;
  console.log(`\n${why}: ${left.length} process${left.length === 1 ? '' : 'es'} started by the tests ${left.length === 1 ? 'is' : 'are'} still running; killing:`);
  for (const [pid, command] of left) console.log(`  ${pid}  ${command.length > 200 ? `${command.slice(0, 200)}…` : command}`);
  for (const [pid] of left) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 30 && left.length > 0; i++) {
    await sleep(100);
    left = leftoverProcesses();
  }
  for (const [pid] of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function removeRoot() {
  let entries = [];
  try {
    // tsx keeps its compile cache in the temporary folder: the loader's, not the tests' doing
    entries = readdirSync(root).filter((name) => !/^tsx-\d+$/.test(name));
  } catch {
    return;
  }
  if (entries.length > 0) {
    // by name without mkdtemp's random suffix, to point at the tests that did not clean up
    const groups = new Map();
    for (const name of entries) {
      const stem = name.replace(/-[A-Za-z0-9]{6}$/, '-*').replace(/\d+(\.log)?$/, '*$1');
      groups.set(stem, (groups.get(stem) ?? 0) + 1);
    }
    const list = [...groups].map(([stem, n]) => (n > 1 ? `${stem} ×${n}` : stem)).join(', ');
    console.log(`The tests left ${entries.length} item${entries.length === 1 ? '' : 's'} in the temporary folder (removed now): ${list}`);
  }
  rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

/** The closing counts of the TAP report, e.g. { tests: 517, pass: 515, fail: 2, … }. */
function tapSummary() {
  let text;
  try {
    text = readFileSync(tapFile, 'utf8');
  } catch {
    return undefined;
  }
  const counts = {};
  const lines = [];
  for (const line of text.split('\n')) {
    const match = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(\.\d+)?)$/.exec(line);
    if (match) {
      counts[match[1]] = Number(match[2]);
      lines.push(line);
    }
  }
  return counts.tests === undefined ? undefined : { counts, lines };
}

let stopping;
/** Set when the run is stopped by a signal: its exit code and why. */
let stoppedBy;
async function finish(code, reason) {
  if (stopping) return stopping;
  if (stoppedBy) [code, reason] = stoppedBy;
  stopping = (async () => {
    await killLeftovers(reason ? `After the tests were ${reason}` : 'After the tests');
    removeRoot();
    const summary = tapSummary();
    if (summary) {
      console.log(`\n${summary.lines.join('\n')}`);
      const failed = (summary.counts.fail ?? 0) + (summary.counts.cancelled ?? 0);
      const cancelled = summary.counts.cancelled ? ` (${summary.counts.cancelled} cancelled)` : '';
      console.log(`${summary.counts.pass ?? 0} passed, ${failed} failed${cancelled}`);
    } else {
      console.log(`\nThe test runner ended without its closing summary${reason ? ` (${reason})` : ''}; exit code ${code}.`);
    }
    process.exit(code);
  })();
  return stopping;
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    if (stopping || stoppedBy) return;
    stoppedBy = [code, `stopped by ${signal}`];
    console.log(`\n${signal}: stopping the tests…`);
    // Node's runner stops its test files and reports on SIGINT; whatever is left after a few
    // seconds (the whole process group, then leftovers by marker) is stopped here.
    try {
      process.kill(child.pid, 'SIGINT');
    } catch {
      // already gone
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      finish(code, `stopped by ${signal}`);
    }, 5000).unref();
  });
}

child.on('exit', (code, signal) => finish(code ?? (signal ? 1 : 0)));
