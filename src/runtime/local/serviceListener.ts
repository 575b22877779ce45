/**
 * A service's entry in the gateway's routing table on one machine: its port, the serving replicas
 * as backends (canary ones marked), and the traffic split and policy of its desired state.
 */
import type { RoutingTable } from '../../gateway/table.js';
import { Track } from '../runtime.js';
import type { ServiceState, TrafficSplit } from '../runtime.js';
import type { Replica } from './replica.js';

/** What `setServiceListener` writes for one service. */
export interface ServiceListenerInput {
  key: string;
  port: number;
  replicas: Iterable<Replica>;
  /** The split while a canary runs. */
  split: TrafficSplit | undefined;
  /** The stable track's desired state (undefined while adopted but not converged). */
  desired: ServiceState | undefined;
}

/** Adds or updates the service's listener in `t` (the caller bumps the generation). */
export function setServiceListener(t: RoutingTable, s: ServiceListenerInput): void {
  const { key, port, split } = s;
  const backends = [...s.replicas]
    .filter((r) => r.serving)
    .map((r) => ({
      id: r.id,
      host: '127.0.0.1',
      port: r.record.port,
      ...(r.track === Track.canary ? { track: Track.canary } : {}),
    }));
  let listener = t.services.find((l) => l.key === key);
  if (!listener) {
    listener = { key, port, backends };
    t.services.push(listener);
  }
  listener.port = port;
  listener.backends = backends;
  // Adopted but not converged yet (a control-plane restart): the split and policy the gateway
  // serves stay as they are until the resumed release or resync says otherwise.
  if (s.desired) {
    if (split) listener.split = split;
    else delete listener.split;
    if (s.desired.policy) listener.policy = s.desired.policy;
    else delete listener.policy;
  }
}
