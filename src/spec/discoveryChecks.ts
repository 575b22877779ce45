/**
 * Checks of services' ports across berth.yaml. Discovery variables two services would both define: a port name can make one service's
 * `<SVC>_<PORTNAME>_PORT` another's `<SVC>_PORT` (service `orders` with a port `db`, and a service
 * `orders-db`, both give `ORDERS_DB_PORT`). Refused at load, at the port.
 */
import type { Finding } from './problems.js';
import { discoveryPorts, discoveryPrefix, portVariable } from './templates.js';

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One finding per port whose `_PORT` variable another service already defines. */
export function discoveryFindings(services: Record<string, unknown>): Finding[] {
  const owners = new Map<string, string>();
  // Every service's own `<SVC>_PORT` first: a port name is what gives way.
  for (const name of Object.keys(services)) owners.set(`${discoveryPrefix(name)}_PORT`, name);
  const out: Finding[] = [];
  for (const [name, data] of Object.entries(services)) {
    const raw = isMap(data) && Array.isArray(data.ports) ? (data.ports as unknown[]) : [];
    raw.forEach((entry, i) => {
      if (i === 0 || (isMap(entry) && entry.protocol === 'UDP')) return;
      const port = discoveryPorts({ ports: [0, entry] })[1];
      if (port === undefined) return;
      const v = `${discoveryPrefix(name)}_${portVariable(port.name)}_PORT`;
      const other = owners.get(v);
      if (other !== undefined && other !== name)
        out.push({
          path: ['services', name, 'ports', i],
          message: `its discovery variable ${v} is also the address of service \`${other}\`; give the port another name`,
        });
      else owners.set(v, name);
    });
  }
  return out;
}

/** True if the service's first port is not served as HTTP (appProtocol `tcp`, or UDP). */
function opaqueFirst(data: unknown): boolean {
  const first = isMap(data) && Array.isArray(data.ports) ? (data.ports as unknown[])[0] : undefined;
  return isMap(first) && (first.appProtocol === 'tcp' || (first.protocol === 'UDP' && first.appProtocol === undefined));
}

/**
 * What only HTTP requests can have, asked of a service whose first port is opaque: a traffic policy,
 * an edge route (the edge forwards HTTP requests to the first port's address).
 */
export function opaqueFindings(services: Record<string, unknown>, routes: unknown): Finding[] {
  const out: Finding[] = [];
  for (const [name, data] of Object.entries(services)) {
    if (opaqueFirst(data) && isMap(data) && data.policy !== undefined)
      out.push({
        path: ['services', name, 'policy'],
        message: `a traffic policy applies to HTTP requests, and the first port of ${name} is not http (appProtocol tcp)`,
      });
  }
  if (Array.isArray(routes))
    routes.forEach((r, i) => {
      if (!isMap(r) || typeof r.service !== 'string' || !Object.hasOwn(services, r.service)) return;
      if (opaqueFirst(services[r.service]))
        out.push({
          path: ['routes', i, 'service'],
          message: `the edge routes HTTP requests, and the first port of ${r.service} is not http (appProtocol tcp)`,
        });
    });
  return out;
}
