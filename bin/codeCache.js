// Runs a CommonJS bundle of the build (dist/cli/*.cjs) compiled from V8's code cache kept beside it
// (`<bundle>.cache`): bin/berth.js starts the CLI bundle with it, and the CLI loads its offline render
// bundle with it (src/cli/commands/render.ts). A bundle of a few MB compiles in tens of milliseconds,
// and from its cache (which holds every function the first run compiled) in a few. Node 20 has no
// compile cache of its own (module.enableCompileCache is Node 22's).
'use strict';
const { readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const Module = require('node:module');
const { Script } = require('node:vm');

/** The cache of `bundle`, or undefined when it is missing or older than the bundle (a build removes it too). */
function cacheOf(bundle) {
  // V8 checks a cache against its own version and flags and the source's length, not its text.
  try {
    return statSync(`${bundle}.cache`).mtimeMs >= statSync(bundle).mtimeMs
      ? readFileSync(`${bundle}.cache`)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `bundle` (its source already read) as a module whose parent is `parent`; returns its exports. */
function runBundle(bundle, source, parent) {
  const cachedData = cacheOf(bundle);
  const script = new Script(Module.wrap(source), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written when the command is done, so the functions it ran are in it; put in place by one rename,
    // so a concurrent run reads the old cache or the new one. Where Berth may not write (a shared
    // install), there is no cache: the command only starts a little slower.
    process.once('exit', () => {
      const temp = `${bundle}.cache.${process.pid}`;
      try {
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, `${bundle}.cache`);
      } catch {
        rmSync(temp, { force: true });
      }
    });
  }
  const mod = new Module(bundle, parent);
  mod.filename = bundle;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, dirname(bundle));
  return mod.exports;
}

module.exports = { runBundle };
