#!/usr/bin/env node
// The `berth` command. Runs the CLI bundle dist/cli/berth.cjs, built by `npm install` through the
// prepare script (tsc, then scripts/bundleCli.mjs), compiled from V8's code cache when there is one
// (bin/codeCache.js): the next run starts without compiling it again.
// CommonJS (bin/package.json), like the bundle: an ES module here would start Node's ES module
// loader first, ~5 ms of every command.
// `berth render ...` is tried first without the CLI (dist/cli/renderFast.cjs, from src/cli/renderFast.ts):
// it renders (from the startup snapshot with --offline, else by the control plane) before commander and
// the CLI load, or declines and the CLI runs as always.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { runBundle } = require('./codeCache.js');

const cliDir = join(__dirname, '..', 'dist', 'cli');

/** Resolves true when `berth render` was done without the CLI. */
function renderedFast() {
  const args = process.argv.slice(2);
  if (args[0] !== 'render') return Promise.resolve(false);
  try {
    return require(join(cliDir, 'renderFast.cjs')).renderFast(args, cliDir);
  } catch {
    return Promise.resolve(false); // not built (an older build): the CLI renders
  }
}

function runCli() {
  const bundle = join(cliDir, 'berth.cjs');
  let source;
  try {
    source = readFileSync(bundle, 'utf8');
  } catch {
    process.stderr.write(
      'berth: the CLI is not built yet; run `npm install` (or `npm run build`) in the berth folder first.\n',
    );
    process.exit(1);
  }
  runBundle(bundle, source, module);
}

renderedFast().then(
  (done) => done || runCli(),
  () => runCli(),
);
