/**
 * The entry of `berth render --offline`'s V8 startup snapshot. `npm run build` (scripts/bundleCli.mjs)
 * bundles this module with the offline render and runs it under `node --build-snapshot`: it renders
 * the apps named by BERTH_SNAPSHOT_WARM (every module loaded, every schema built, the functions of a
 * render compiled), then the heap is written to dist/cli/renderOffline-<node version>-<arch>.blob.
 * A process started from that blob (commands/render.ts) begins in `main` below with all of that in
 * place: a cold render costs deserializing the heap instead of loading, compiling and warming ~2 MB
 * of JavaScript (docs/benchmarks.md, render).
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { renderOffline } from './renderOffline.js';
import { forgetPrintedLines } from '../../runtime/kubernetes/manifests/toYaml.js';
import { forgetParsedTemplates } from '../../spec/interpolate.js';
import { forgetParsedDurations } from '../../spec/units.js';
import { SNAPSHOT_DECLINED_STATUS, SNAPSHOT_ERROR_STATUS, type SnapshotRequest } from '../renderSnapshotFile.js';
import { fastRenderRequest } from '../renderArgs.js';

/** What the CLI would print for `request`, computed here: YAML documents or the objects as JSON. */
function rendered(request: SnapshotRequest): string {
  const { file, format, ...options } = request;
  const r = renderOffline({ file, text: readFileSync(file, 'utf8') }, options, format);
  return format === 'yaml' ? (r.yaml ?? '') : `${JSON.stringify(r.objects, null, 2)}\n`;
}

/**
 * Renders the request in argv; a Berth error goes to stderr as its JSON for the CLI to print. Started
 * by the `berth` command itself (bin/berth, one process: argv is the command line, `render ...`), it
 * reads the command line as the CLI would (renderFast.ts) and ends with SNAPSHOT_DECLINED_STATUS,
 * printing nothing, when that is not a plain offline render; an error ends it too (not 0), and bin/berth
 * runs the CLI, which renders again and reports it in its own words.
 */
function main(): void {
  // A reader that stops early (`| head`) closes the pipe: the output ends, as in the CLI (main.ts).
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  if (process.argv[1] === 'render') {
    const request = fastRenderRequest(process.argv.slice(1));
    if (request === undefined) process.exit(SNAPSHOT_DECLINED_STATUS);
    written(rendered(request));
    return;
  }
  let out: string;
  try {
    out = rendered(JSON.parse(process.argv[1] ?? '{}') as SnapshotRequest);
  } catch (err) {
    // Anything that is not a Berth error (it has a code and toJSON) is left to the CLI's own
    // process: a plain failure makes it render there, where the error reads as it always did.
    const json = (err as { code?: unknown; toJSON?: () => unknown } | null)?.toJSON?.();
    if (typeof (err as { code?: unknown } | null)?.code !== 'string' || json === undefined) throw err;
    process.stderr.write(JSON.stringify(json));
    process.exitCode = SNAPSHOT_ERROR_STATUS;
    return;
  }
  written(out);
}

/** Writes `out` to stdout and exits once it is written, without tearing down a heap of the whole warm
 * render path (the process ends anyway; stdout's callback runs once the output is with the pipe or file). */
function written(out: string): void {
  process.stdout.write(out, (err) => {
    if (!err) process.exit();
  });
}

if (v8.startupSnapshot.isBuildingSnapshot()) {
  // The warm-up: each app rendered in both formats a few times, so what the snapshot keeps has run.
  const warm = (process.env.BERTH_SNAPSHOT_WARM ?? '').split('\n').filter(Boolean);
  for (let i = 0; i < 3; i++)
    for (const file of warm)
      for (const format of ['yaml', 'json']) rendered({ file, format, env: 'local', kubernetesVersion: '1.30' });
  // The text the warm-up's renders cached (printed lines, parsed templates and durations) is not kept:
  // a smaller heap to deserialize gains more than the lines a user's render would find (~4 ms of CPU
  // of 160, 21 runs interleaved), and nothing of the build's apps is in a user's render.
  forgetPrintedLines();
  forgetParsedTemplates();
  forgetParsedDurations();
  v8.startupSnapshot.setDeserializeMainFunction(main);
}
