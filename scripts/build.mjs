// Bundles each process's entry point with esbuild. Native packages (onnxruntime-node, sharp) and
// `vscode` stay external: they are loaded from node_modules (or by the editor) at run time.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const nodeEntries = {
  extension: 'src/extension/activate.ts',
  server: 'src/server/main.ts',
  cli: 'src/cli/main.ts',
  trainer: 'src/train/worker.ts',
  tagger: 'src/dataset/taggerWorker.ts',
};
const webEntries = {
  'webview/monitor': 'webview/monitor/main.ts',
  'webview/review': 'webview/review/main.ts',
};
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };
const present = (entries) => Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)));

await Promise.all([
  build({
    ...common,
    entryPoints: present(nodeEntries),
    outdir: 'dist',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode', 'onnxruntime-node', 'sharp'],
  }),
  Object.keys(present(webEntries)).length > 0 &&
    build({ ...common, entryPoints: present(webEntries), outdir: 'dist', platform: 'browser', target: 'es2022', format: 'iife' }),
]);
