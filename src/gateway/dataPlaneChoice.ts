/**
 * Which data plane a control plane's gateway runs, and why: the one asked for (`--data-plane`, else
 * BERTH_DATA_PLANE), else HAProxy when a usable one (2.6 or later) is installed — the production
 * setup — else the gateway's own Node listeners, the zero-dependency fallback. The reason is a
 * sentence the server logs at start and `GET /api/v1/info` answers.
 */
import { BerthError } from '../errors.js';
import { haproxyBinary } from './haproxy/haproxyProcess.js';
import { parseDataPlane } from './control.js';
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

/**
 * Chooses the data plane. An explicit `haproxy` without a usable HAProxy is refused with what is
 * wrong (missing, not HAProxy, too old); an explicit or env value other than node or haproxy too.
 */
export async function chooseDataPlane(asked: DataPlaneAsked): Promise<DataPlaneChoice> {
  const explicit =
    asked.flag !== undefined && asked.flag !== ''
      ? { plane: parseDataPlane(asked.flag, '--data-plane'), source: '--data-plane' }
      : asked.env !== undefined && asked.env !== ''
        ? { plane: parseDataPlane(asked.env, 'BERTH_DATA_PLANE'), source: 'BERTH_DATA_PLANE' }
        : undefined;
  if (explicit?.plane === 'node') return { plane: 'node', reason: `${explicit.source} node` };
  if (explicit) {
    const found = await haproxyBinary(asked.binary);
    return {
      plane: 'haproxy',
      reason: `${explicit.source} haproxy (HAProxy ${found.version} at ${found.path})`,
      haproxy: found,
    };
  }
  try {
    const found = await haproxyBinary(asked.binary);
    return {
      plane: 'haproxy',
      reason: `HAProxy ${found.version} is installed at ${found.path} (the default when HAProxy 2.6 or later is installed; --data-plane node to use the Node proxy)`,
      haproxy: found,
    };
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    return { plane: 'node', reason: `no usable HAProxy, so the built-in Node proxy: ${err.message}` };
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
