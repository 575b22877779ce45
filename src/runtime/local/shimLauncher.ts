/**
 * Picks the shim replicas run under. The native shim (native/shim/*.c, built into
 * dist/native/berth-shim by `npm run build` when a C compiler exists) is the default: it starts in
 * about a millisecond and holds ~1 MB, so it is spawned per start with no warm pool. Without it
 * (no compiler at install, or BERTH_SHIM=node), replicas run under the Node shim (shim.ts) with its
 * pool of warm shims (shimPool.ts). Both take the same command line and write the same files.
 */
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createShimPool, spawnShim, type ShimLauncher } from './shimPool.js';

/** Which shim runs replicas. */
export const SHIM_KINDS = ['native', 'node'] as const;
export type ShimKind = (typeof SHIM_KINDS)[number];

/** Where `npm run build` puts the native shim, relative to this module in dist/runtime/local. */
export const DEFAULT_NATIVE_SHIM = fileURLToPath(new URL('../../native/berth-shim', import.meta.url));

export interface ShimLauncherOptions {
  /** The compiled Node shim (shim.js). */
  nodeEntry: string;
  /** The native shim's binary (default: DEFAULT_NATIVE_SHIM). */
  nativeBinary?: string;
  /** Which one to use (BERTH_SHIM; default: native when built, else node). */
  kind?: ShimKind;
  /** Data directory, for the Node shims' pool. */
  home: string;
  /** Idle Node shims kept booted ahead of need (unused with the native shim). */
  warmShims: number;
  logger: Logger;
}

/** A launcher and the shim it uses. */
export type ChosenShimLauncher = ShimLauncher & { readonly kind: ShimKind };

/** Starts each native shim directly: a C process needs no warming. */
export function createNativeShimLauncher(binary: string): ShimLauncher {
  return {
    runsProbes: true,
    launch: (job) => spawnShim(binary, job.argv, job),
    close() {
      // nothing idle to stop
    },
  };
}

/** The native shim when it is built and not refused, else the Node shim's pool; says which in the log. */
export function createShimLauncher(opts: ShimLauncherOptions): ChosenShimLauncher {
  const binary = opts.nativeBinary ?? DEFAULT_NATIVE_SHIM;
  const wanted = opts.kind ?? parseKind(process.env.BERTH_SHIM, opts.logger);
  const missing = wanted === 'node' ? undefined : notRunnable(binary);
  if (wanted !== 'node' && missing === undefined) {
    opts.logger.info({ shim: binary }, 'replicas run under the native shim');
    return { kind: 'native', ...createNativeShimLauncher(binary) };
  }
  if (wanted === 'node') opts.logger.info('replicas run under the Node shim (BERTH_SHIM=node)');
  else
    opts.logger.warn(
      { shim: binary },
      `the native shim is not available (${missing}): replicas run under the Node shim, ~40 MB each instead of ~1 MB; ` +
        'install a C compiler (cc) and run `npm run build` to build it',
    );
  const pool = createShimPool({ entry: opts.nodeEntry, home: opts.home, size: opts.warmShims });
  return { kind: 'node', launch: (job) => pool.launch(job), close: () => pool.close() };
}

/** BERTH_SHIM as a shim kind; another value is said in the log (and the default used), not ignored silently. */
function parseKind(value: string | undefined, logger: Logger): ShimKind | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'native' || value === 'node') return value;
  logger.warn(`BERTH_SHIM is "${value}": expected ${SHIM_KINDS.join(' or ')}; the default is used`);
  return undefined;
}

/** Why `binary` cannot run, or undefined when it can. */
function notRunnable(binary: string): string | undefined {
  try {
    accessSync(binary, constants.X_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${binary} was not built` : `${binary}: ${code ?? (err as Error).message}`;
  }
}
