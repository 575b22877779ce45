/**
 * Loads a CommonJS bundle the build wrote next to the CLI (dist/cli/*.cjs) compiled from V8's code
 * cache kept beside it. The one implementation is bin/codeCache.js, which bin/berth.js starts the CLI
 * bundle itself with (it runs before any of dist/ is loaded): this module only finds it and types it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CodeCache {
  runBundle(bundle: string, source: string, parent: undefined): unknown;
}

// bin/ is beside src/ and dist/: two folders up from src/cli and from dist/cli alike.
const { runBundle } = createRequire(import.meta.url)('../../bin/codeCache.js') as CodeCache;

/** The exports of the bundle at `url`, or undefined when it was not built (a run from the sources). */
export function loadBundle<T>(url: URL): T | undefined {
  const bundle = fileURLToPath(url);
  let source: string;
  try {
    source = readFileSync(bundle, 'utf8');
  } catch {
    return undefined;
  }
  return runBundle(bundle, source, undefined) as T;
}
