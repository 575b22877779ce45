#!/usr/bin/env node
// The `berth` command. Runs the CLI bundle dist/cli/berth.cjs, built by `npm install` through the
// prepare script (tsc, then scripts/bundleCli.mjs), compiled from V8's code cache when there is one:
// the bundle's compiled code is kept next to it (berth.cjs.cache) and the next run starts without
// compiling it again. Node 20 has no compile cache of its own (module.enableCompileCache is Node 22's).
// CommonJS (bin/package.json), like the bundle: an ES module here would start Node's ES module
// loader first, ~5 ms of every command.
'use strict';
const { readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const Module = require('node:module');
const { Script } = require('node:vm');

const bundle = join(__dirname, '..', 'dist', 'cli', 'berth.cjs');
const cacheFile = `${bundle}.cache`;

let source;
try {
  source = readFileSync(bundle, 'utf8');
} catch {
  process.stderr.write('berth: the CLI is not built yet; run `npm install` (or `npm run build`) in the berth folder first.\n');
  process.exit(1);
}

// V8 checks a cache against its own version and flags and the source's length, not its text: a
// cache older than the bundle is not offered (a build also removes it).
let cachedData;
try {
  if (statSync(cacheFile).mtimeMs >= statSync(bundle).mtimeMs) cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  // Written when the command is done, so the functions it ran are in it; put in place by one rename,
  // so a concurrent run reads the old cache or the new one. Where Berth may not write (a shared
  // install), there is no cache: the CLI only starts a little slower.
  process.once('exit', () => {
    const temp = `${cacheFile}.${process.pid}`;
    try {
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
    } catch {
      rmSync(temp, { force: true });
    }
  });
}
const bundleModule = new Module(bundle, module);
bundleModule.filename = bundle;
script
  .runInThisContext()
  .call(bundleModule.exports, bundleModule.exports, Module.createRequire(bundle), bundleModule, bundle, dirname(bundle));
