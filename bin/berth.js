#!/usr/bin/env node
// The `berth` command. Runs the CLI bundle dist/cli/berth.cjs, built by `npm install` through the
// prepare script (tsc, then scripts/bundleCli.mjs), compiled from V8's code cache when there is one
// (bin/codeCache.js): the next run starts without compiling it again.
// CommonJS (bin/package.json), like the bundle: an ES module here would start Node's ES module
// loader first, ~5 ms of every command.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { runBundle } = require('./codeCache.js');

const bundle = join(__dirname, '..', 'dist', 'cli', 'berth.cjs');
let source;
try {
  source = readFileSync(bundle, 'utf8');
} catch {
  process.stderr.write('berth: the CLI is not built yet; run `npm install` (or `npm run build`) in the berth folder first.\n');
  process.exit(1);
}
runBundle(bundle, source, module);
