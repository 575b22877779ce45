/**
 * A service's address as discovery and `status` show it, the same on every runtime: the first port
 * (`<SVC>_HOST`, `<SVC>_PORT`, `<SVC>_URL` only when it carries requests) and each TCP port after it
 * (`<SVC>_<PORTNAME>_PORT`, `_URL` for http and grpc ports).
 */
import type { AppProtocol, WorkloadPort } from '../model/ports.js';
import type { PortAddress, ServiceAddress } from '../model/observation.js';

/** What port `i` speaks: its appProtocol, else the default (`http` for a first TCP port, `tcp` after it; none on UDP). */
export function appProtocolOf(p: WorkloadPort, i: number): AppProtocol | undefined {
  if (p.protocol === 'UDP') return undefined;
  return p.appProtocol ?? (i === 0 ? 'http' : 'tcp');
}

function carriesRequests(p: WorkloadPort | undefined, i: number): boolean {
  // No port declared: the service still gets an HTTP address on $PORT, as it always did.
  if (p === undefined) return true;
  const app = appProtocolOf(p, i);
  return app === 'http' || app === 'grpc';
}

/**
 * The address of a service at `host`: its first port is `firstPort` there, each other TCP port
 * `portOf(name)` (the port itself on clusters, its own gateway port on one machine).
 */
export function serviceAddress(
  host: string,
  firstPort: number,
  ports: readonly WorkloadPort[] | undefined,
  portOf: (p: WorkloadPort) => number,
): ServiceAddress {
  const first = ports?.[0];
  const at = (port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  const opaque = carriesRequests(first, 0) ? undefined : first!.protocol === 'UDP' ? 'udp' : 'tcp';
  const others: PortAddress[] = (ports ?? [])
    .map((p, i) => ({ p, i }))
    .filter(({ p, i }) => i > 0 && p.protocol === 'TCP')
    .map(({ p, i }) => {
      const port = portOf(p);
      return {
        name: p.name,
        port,
        appProtocol: appProtocolOf(p, i)!,
        ...(carriesRequests(p, i) ? { url: `http://${at(port)}` } : {}),
      };
    });
  return {
    host,
    port: firstPort,
    url: `${opaque ?? 'http'}://${at(firstPort)}`,
    ...(opaque ? { opaque } : {}),
    ...(others.length > 0 ? { ports: others } : {}),
  };
}

/** The TCP ports of a service that get an L4 address of their own on one machine (all but an http first port). */
export function opaquePorts(ports: readonly WorkloadPort[]): WorkloadPort[] {
  return ports.filter((p, i) => p.protocol === 'TCP' && !(i === 0 && appProtocolOf(p, i) === 'http'));
}
