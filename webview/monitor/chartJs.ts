// chart.js ships as an ES module while the repository's TypeScript checks this page as CommonJS
// (tsconfig module Node16, no "type": "module"): its types are read in ESM resolution mode and the
// value comes through require, which esbuild resolves and bundles for the browser.

import type * as ChartJs from 'chart.js' with { 'resolution-mode': 'import' };

export type { ChartJs };
export const chartJs: typeof ChartJs = require('chart.js');
