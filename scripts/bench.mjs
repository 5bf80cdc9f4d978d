// `npm run bench -- NAME [args]` runs bench/NAME.ts (TypeScript through tsx); with no NAME it
// lists the benchmarks with the first line of their description.
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const [name, ...rest] = process.argv.slice(2);
const benches = readdirSync('bench').filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
if (!name || !benches.includes(name)) {
  if (name) console.error(`no benchmark '${name}'\n`);
  console.log('Usage: npm run bench -- NAME [options]\n');
  for (const bench of benches) {
    const first = readFileSync(`bench/${bench}.ts`, 'utf8').split('\n').find((l) => l.startsWith('//')) ?? '';
    console.log(`  ${bench.padEnd(20)} ${first.replace(/^\/\/\s*/, '')}`);
  }
  process.exit(name ? 2 : 0);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...rest], { stdio: 'inherit' });
process.exit(result.status ?? 1);
