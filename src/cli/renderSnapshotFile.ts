/**
 * Where `berth render --offline`'s V8 startup snapshot is and how it is started: shared by the build
 * (scripts/bundleCli.mjs writes it) and the CLI (commands/render.ts starts a Node process from it).
 * A snapshot only loads in the very Node binary, version and V8 flags that wrote it: its name carries
 * the version and architecture, so a build for another Node is never tried, and a binary that still
 * refuses it (another build of the same version) makes the CLI render in its own process instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** V8 flags of the snapshot's build and of every process started from it (they must be the same). */
export const SNAPSHOT_FLAGS: readonly string[] = [
  // One render, then the process ends: optimizing compilations (a background thread) do not pay back
  // in that time. Without them a render of 200 services takes ~30 % less CPU (docs/benchmarks.md).
  // (Measured too and left out: a larger young generation (again in session 17: --min-semi-space-size=16,
  // no change), --always-sparkplug, --maglev,
  // --no-lazy-feedback-allocation, --single-threaded-gc: none changed the CPU of a render.)
  '--no-turbofan',
  // The heap starts at ~14 MB (the deserialized render path) and a render of 200 services takes it
  // past 25 MB: with V8's default first old-space limit that ends in a full mark-compact (~11 ms)
  // just before the output is written. A higher first limit (not memory taken: the heap still holds
  // only what it uses) lets the process end before any: ~8 % less CPU (docs/benchmarks.md, render).
  '--initial-old-space-size=64',
];

/** Exit status of a snapshot process that failed with a Berth error, written to stderr as JSON. */
export const SNAPSHOT_ERROR_STATUS = 3;
/** Exit status of a snapshot process started with a command line that is not a plain offline render (bin/berth). */
export const SNAPSHOT_DECLINED_STATUS = 4;

/** The snapshot of this Node for the CLI folder `cliDir` (dist/cli). */
export function snapshotBlob(cliDir: string): string {
  return join(cliDir, `renderOffline-${process.version}-${process.arch}.blob`);
}

/** What the CLI asks the snapshot process: the spec file, the render's options and the output format. */
/**
 * The environment of a snapshot's Node, when it is built and when it runs: the same V8 configuration
 * both times. NODE_OPTIONS is the user's for their Node programs: a V8 flag in it
 * (--max-old-space-size...) at one time and not the other makes the snapshot refuse to load. An offline
 * render opens no TLS connection: without NODE_EXTRA_CA_CERTS, Node 20 does not parse a CA bundle first.
 */
export function snapshotEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** The Kubernetes version a render is for when none is asked. */
export const DEFAULT_KUBERNETES_VERSION = '1.30';

/** The offline render's options as the CLI read them (commands/render.ts, renderFast.ts). */
export interface SnapshotOptions {
  env: string;
  namespace?: string;
  kubernetesVersion?: string;
  ingressClass?: string;
}

/** The request for the snapshot process of a render of `file` with `o` in `format`. */
export function snapshotRequest(file: string, o: SnapshotOptions, format: string): SnapshotRequest {
  return {
    file,
    format,
    env: o.env,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    ...(o.kubernetesVersion ? { kubernetesVersion: o.kubernetesVersion } : {}),
    ...(o.ingressClass ? { ingressClass: o.ingressClass } : {}),
  };
}

export interface SnapshotRequest {
  file: string;
  format: string;
  env: string;
  namespace?: string;
  kubernetesVersion?: string;
  ingressClass?: string;
}

/**
 * What a render from the snapshot came to: `done` (the output is printed), `none` (no snapshot for
 * this Node, or it did not start, or it failed without a Berth error: render in the CLI's process),
 * or the Berth error it reported as JSON, for the caller to throw or print.
 */
export type SnapshotOutcome = 'done' | 'none' | { error: unknown };

/**
 * Renders `request` in a Node process started from the snapshot in the CLI folder `cliDir`, which
 * prints the output itself (stdout inherited). BERTH_RENDER_SNAPSHOT=0 turns it off (the benchmark
 * compares both).
 */
export function renderInSnapshot(request: SnapshotRequest, cliDir: string): SnapshotOutcome {
  if (process.env.BERTH_RENDER_SNAPSHOT === '0') return 'none';
  const blob = snapshotBlob(cliDir);
  if (!existsSync(blob)) return 'none';
  const r = spawnSync(process.execPath, [...SNAPSHOT_FLAGS, '--snapshot-blob', blob, JSON.stringify(request)], {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: snapshotEnv(),
  });
  if (r.status === 0) return 'done';
  if (r.status !== SNAPSHOT_ERROR_STATUS) return 'none';
  // The error as JSON on the last line of stderr; anything else there (a Node warning) is not it.
  const last = r.stderr.toString().trimEnd().split('\n').pop() ?? '';
  try {
    return { error: JSON.parse(last) as unknown };
  } catch {
    return 'none'; // not a render error after all: the render runs in the CLI's process, and says its own
  }
}
