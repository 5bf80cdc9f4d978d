#!/usr/bin/env node
// The CLI is bundled to dist/cli.js by `npm run build`.
require('../dist/cli.js').runCli(process.argv.slice(2));
