/** Service discovery on Kubernetes: every service's address is its Service's cluster DNS name. */
import type { ServiceAddress } from '../../runtime.js';
import type { AppSpec } from '../../../spec/schema.js';

/** `<service>.<namespace>.svc.cluster.local`. */
export function serviceHost(service: string, namespace: string): string {
  return `${service}.${namespace}.svc.cluster.local`;
}

/**
 * Addresses of the services of `spec` in `namespace`, for `Runtime.addresses()` of the Kubernetes
 * runtime and for rendering: `<svc>.<namespace>.svc.cluster.local:<first port>`. Services without a
 * port, and jobs, have no Service and so no address (using their `_URL` is reported as unresolved).
 */
export function kubernetesAddresses(
  _app: string,
  namespace: string,
  spec: Pick<AppSpec, 'services'>,
): Record<string, ServiceAddress> {
  const out: Record<string, ServiceAddress> = {};
  for (const name of Object.keys(spec.services).sort()) {
    const svc = spec.services[name]!;
    const port = svc.ports[0];
    if (!port || (svc.kind ?? 'service') !== 'service') continue;
    const host = serviceHost(name, namespace);
    const scheme = port.protocol === 'UDP' ? 'udp' : 'http';
    out[name] = { host, port: port.port, url: `${scheme}://${host}:${port.port}` };
  }
  return out;
}
