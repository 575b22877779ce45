/**
 * `berth render` without the CLI's own start: bin/berth.js calls this before it loads the CLI bundle
 * (commander, the command table, every command's options) when the command line begins with
 * `render`. A short command's time is mostly start-up, so the render begins as soon as Node does:
 * `--offline` from the startup snapshot, else the control plane's YAML streamed to stdout
 * (docs/benchmarks.md, render).
 *
 * Only a command line made of the options below is read here, as the CLI reads it; anything else
 * (another option, `--opt=value`, a value that looks like an option, help, JSON from a control plane),
 * a spec file that is not there, no snapshot for this Node, or a render that fails before any output,
 * returns false and the CLI runs as always: it renders again and reports the problem in its own words,
 * so errors read exactly the same. scripts/bundleCli.mjs bundles this module with the few it imports
 * (the client, no npm package) into dist/cli/renderFast.cjs.
 */
import { renderInSnapshot } from './renderSnapshotFile.js';
import { fastRenderArgs, fastRenderRequest, formatOf } from './renderArgs.js';

/** Renders `args` from the startup snapshot in the CLI folder `cliDir`, or by the control plane; false: let the CLI run. */
export async function renderFast(args: readonly string[], cliDir: string): Promise<boolean> {
  const read = fastRenderArgs(args);
  if (!read) return false;
  const format = formatOf(read.output);
  if (read.offline) {
    const request = fastRenderRequest(args);
    return request !== undefined && renderInSnapshot(request, cliDir) === 'done';
  }
  if (format !== 'yaml') return false;
  // The client (node:http and the rest) is loaded only here: an offline render does not need it.
  const { renderByControlPlane } = await import('./renderRemote.js');
  return renderByControlPlane(read.dir, read.options);
}
