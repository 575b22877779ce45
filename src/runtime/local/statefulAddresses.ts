/**
 * The per-replica addresses of an app's stateful services on one machine, as a headless Service's
 * per-pod names give them on a cluster: `<SERVICE>_<INDEX>_HOST` and `_PORT`.
 */
import { discoveryPrefix } from '../../spec/templates.js';
import type { PortRegistry } from './ports.js';

/** What is read of each replica set. */
export interface StatefulSetView {
  app: string;
  env: string;
  key: string;
  service: string;
  /** The desired replica count of a stateful service; undefined for others or before converge. */
  statefulReplicas: number | undefined;
  /** Replicas held (any phase). */
  size: number;
}

/**
 * The variables of every replica of `app/env`'s stateful services that has a port: indexes below
 * the desired count, or every reserved one while a service has not been converged since a restart.
 */
export function statefulAddresses(
  sets: Iterable<StatefulSetView>,
  ports: PortRegistry,
  app: string,
  env: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets) {
    if (s.app !== app || s.env !== env) continue;
    const count = s.statefulReplicas;
    const indexPorts = ports.indexPorts(s.key);
    if (indexPorts.size === 0 || (count === undefined && s.size === 0)) continue;
    const prefix = discoveryPrefix(s.service);
    for (const [index, port] of [...indexPorts].sort(([a], [b]) => a - b)) {
      if (count !== undefined && index >= count) continue;
      out[`${prefix}_${index}_HOST`] = '127.0.0.1';
      out[`${prefix}_${index}_PORT`] = String(port);
    }
  }
  return out;
}
