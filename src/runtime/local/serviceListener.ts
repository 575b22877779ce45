/**
 * A service's entries in the gateway's routing table on one machine: the HTTP listener of its first
 * port (the serving replicas as backends, canary ones marked, the traffic split and policy of its
 * desired state), and an L4 listener per TCP port that is not served as HTTP.
 */
import type { RoutingTable, TcpListener } from '../../gateway/table.js';
import { appProtocolOf, opaquePorts } from '../serviceAddress.js';
import { Track } from '../../model/routing.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { TrafficSplit } from '../../model/routing.js';
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
  /** Gateway port per L4 port name (the first port's is `port` when it is opaque). */
  tcpPorts: ReadonlyMap<string, number>;
}

/** Adds or updates the service's listener in `t` (the caller bumps the generation). */
export function setServiceListener(t: RoutingTable, input: ServiceListenerInput): void {
  // `replicas` may be an iterator: read once.
  const s = { ...input, replicas: [...input.replicas] };
  setTcpListeners(t, s);
  const first = s.desired?.workload.ports[0];
  if (first !== undefined && appProtocolOf(first, 0) !== 'http') {
    // The first port is served at L4 (opaque tcp or grpc; a UDP one is refused at deploy).
    t.services = t.services.filter((l) => l.key !== s.key);
    return;
  }
  if (s.desired === undefined && !t.services.some((l) => l.key === s.key) && s.tcpPorts.size > 0) return;
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

/**
 * The L4 listeners of the service: one per port that `opaquePorts` names (from the desired state;
 * while adopted and not converged, the ones the table has), each replica at its port of that name.
 */
function setTcpListeners(t: RoutingTable, s: ServiceListenerInput): void {
  const names = s.desired
    ? opaquePorts(s.desired.workload.ports).map((p) => p.name)
    : (t.tcp ?? []).filter((l) => l.key === s.key).map((l) => l.name);
  const serving = [...s.replicas].filter((r) => r.serving);
  const graceMs = s.desired?.workload.terminationGracePeriodMs;
  const others = (t.tcp ?? []).filter((l) => l.key !== s.key);
  const mine: TcpListener[] = [];
  for (const name of names) {
    const port = s.tcpPorts.get(name);
    if (port === undefined) continue;
    const backends = serving.flatMap((r) => {
      const at = r.record.ports !== undefined && Object.hasOwn(r.record.ports, name) ? r.record.ports[name] : undefined;
      return at === undefined ? [] : [{ id: r.id, host: '127.0.0.1', port: at }];
    });
    const before = t.tcp?.find((l) => l.key === s.key && l.name === name);
    mine.push({ key: s.key, name, port, backends, graceMs: graceMs ?? before?.graceMs ?? 30_000 });
  }
  if (mine.length === 0 && t.tcp === undefined) return;
  t.tcp = [...others, ...mine];
}
