/**
 * Which data plane a control plane's gateway runs, and why: the one asked for (`--data-plane`, else
 * BERTH_DATA_PLANE), else `auto`, the default: HAProxy when a usable one (2.6 or later) is installed —
 * the documented production setup (docs/architecture.md "Data plane") — else the gateway's own Node
 * listeners, the zero-dependency fallback. The reason is a sentence the server logs at start and
 * `GET /api/v1/info` answers.
 */
import { BerthError, ValidationError } from '../errors.js';
import { haproxyBinary } from './haproxy/haproxyProcess.js';
import type { DataPlane } from './server.js';

/** The data plane chosen and the sentence that says why. */
export interface DataPlaneChoice {
  plane: DataPlane;
  reason: string;
  /** The HAProxy binary and version in use (plane `haproxy`). */
  haproxy?: { path: string; version: string };
}

/** What the choice is made from; unset or empty values mean "not asked for". */
export interface DataPlaneAsked {
  /** `berth server --data-plane`. */
  flag?: string | undefined;
  /** BERTH_DATA_PLANE of the control plane's environment. */
  env?: string | undefined;
  /** The haproxy binary to check (tests); defaults to BERTH_HAPROXY, else PATH and the sbin directories. */
  binary?: string | undefined;
}

/** A plane that may be asked for: one of the two, or `auto` (HAProxy when usable, else Node; the default). */
export type AskedDataPlane = DataPlane | 'auto';

/** `value` of `source` as a plane asked for; anything else is refused by name. */
export function parseAskedDataPlane(value: string, source: '--data-plane' | 'BERTH_DATA_PLANE'): AskedDataPlane {
  if (value === 'node' || value === 'haproxy' || value === 'auto') return value;
  throw new ValidationError(`${source} is ${JSON.stringify(value)}: expected node, haproxy or auto`, [
    {
      file: source === 'BERTH_DATA_PLANE' ? 'environment' : 'command line',
      path: source,
      message: 'expected node, haproxy or auto',
    },
  ]);
}

/**
 * Chooses the data plane. An explicit `haproxy` without a usable HAProxy is refused with what is
 * wrong (missing, not HAProxy, too old); an explicit or env value other than node, haproxy or auto too.
 */
export async function chooseDataPlane(asked: DataPlaneAsked): Promise<DataPlaneChoice> {
  const explicit =
    asked.flag !== undefined && asked.flag !== ''
      ? { plane: parseAskedDataPlane(asked.flag, '--data-plane'), source: '--data-plane' }
      : asked.env !== undefined && asked.env !== ''
        ? { plane: parseAskedDataPlane(asked.env, 'BERTH_DATA_PLANE'), source: 'BERTH_DATA_PLANE' }
        : undefined;
  if (explicit?.plane === 'node') return { plane: 'node', reason: `${explicit.source} node` };
  if (explicit?.plane === 'haproxy') {
    const found = await haproxyBinary(asked.binary);
    return {
      plane: 'haproxy',
      reason: `${explicit.source} haproxy (HAProxy ${found.version} at ${found.path})`,
      haproxy: found,
    };
  }
  const found = await usable(asked.binary);
  if (explicit?.plane === 'auto') {
    if ('error' in found) {
      return {
        plane: 'node',
        reason: `${explicit.source} auto: no usable HAProxy, so the built-in Node proxy: ${found.error}`,
      };
    }
    return {
      plane: 'haproxy',
      reason: `${explicit.source} auto: HAProxy ${found.version} is installed at ${found.path}`,
      haproxy: found,
    };
  }
  if ('error' in found) {
    return {
      plane: 'node',
      reason: `the built-in Node proxy (the default, auto: no usable HAProxy: ${found.error})`,
    };
  }
  return {
    plane: 'haproxy',
    reason: `HAProxy ${found.version} at ${found.path} (the default, auto: HAProxy when a usable one is installed; --data-plane node for the built-in Node proxy)`,
    haproxy: found,
  };
}

/** The usable HAProxy, or why there is none. */
async function usable(binary: string | undefined): Promise<{ path: string; version: string } | { error: string }> {
  try {
    return await haproxyBinary(binary);
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    return { error: err.message };
  }
}

/**
 * What the server says it uses: `choice`, unless the gateway it adopted runs `running` (a running
 * gateway is not restarted for a new choice: that would cut every connection).
 */
export function servedDataPlane(choice: DataPlaneChoice, running: DataPlane | undefined): DataPlaneChoice {
  if (running === undefined || running === choice.plane) return choice;
  return {
    plane: running,
    reason: `the running gateway was adopted with its ${running} data plane (${choice.plane} was chosen: ${choice.reason}); \`berth server stop --gateway\` and a new start switch it`,
  };
}
