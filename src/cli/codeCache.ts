/**
 * Loads a CommonJS bundle the build wrote next to the CLI (dist/cli/*.cjs), compiled from V8's code
 * cache kept beside it (`<bundle>.cache`), the way bin/berth.js starts the CLI bundle itself: a bundle
 * of a few MB compiles in tens of milliseconds, and from its cache (which holds every function the
 * first run compiled, not only the top level) in a few.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** The cache file of a bundle, or undefined when it is missing or older than the bundle. */
function cacheOf(bundle: string): Buffer | undefined {
  try {
    return statSync(`${bundle}.cache`).mtimeMs >= statSync(bundle).mtimeMs
      ? readFileSync(`${bundle}.cache`)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The exports of the bundle at `url`, or undefined when it was not built (a run from the sources). */
export function loadBundle<T>(url: URL): T | undefined {
  const bundle = fileURLToPath(url);
  if (!existsSync(bundle)) return undefined;
  const cachedData = cacheOf(bundle);
  const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit, so the functions the command ran are in it; one rename puts it in place, so a
    // concurrent run reads the old cache or the new one. Where nothing may be written, no cache.
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
  const mod = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    mod.exports,
    mod.exports,
    createRequire(bundle),
    mod,
    bundle,
    dirname(bundle),
  );
  return mod.exports;
}
