// Runs every test/**/*.test.ts with Node's built-in test runner (TypeScript through tsx), in one
// run so there is one closing summary. The end-to-end tests (test/e2e: a real VS Code through
// code-server and headless Chromium) are included and start first, being the longest.
// `--unit` leaves them out, `--e2e` runs only them; other arguments filter by path substring.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const only = args.includes('--e2e') ? 'e2e' : args.includes('--unit') ? 'unit' : 'all';
const filters = args.filter((a) => !a.startsWith('--'));
function collect(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? collect(path) : path.endsWith('.test.ts') ? [path] : [];
  });
}
const files = collect('test')
  .filter((f) => only === 'all' || f.startsWith(join('test', 'e2e')) === (only === 'e2e'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort((a, b) => Number(!a.startsWith(join('test', 'e2e'))) - Number(!b.startsWith(join('test', 'e2e'))) || a.localeCompare(b));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Browser, webview and e2e tests drive Debian's Chromium: no browser download is possible here.
if (only !== 'unit' && !existsSync('/usr/bin/chromium')) {
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
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
