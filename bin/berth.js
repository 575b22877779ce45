#!/usr/bin/env node
// The `berth` command. Runs the CLI bundle dist/cli/berth.cjs, built by `npm install` through the
// prepare script (tsc, then scripts/bundleCli.mjs). CommonJS (bin/package.json), like the bundle:
// an ES module here would start Node's ES module loader first, ~5 ms of every command.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'cli', 'berth.cjs');
if (!existsSync(bundle)) {
  process.stderr.write('berth: the CLI is not built yet; run `npm install` (or `npm run build`) in the berth folder first.\n');
  process.exit(1);
}
require(bundle);
