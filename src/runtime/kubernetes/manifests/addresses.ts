/** Service discovery on Kubernetes: every service's address is its Service's cluster DNS name. */
import type { ServiceAddress } from '../../../model/observation.js';
import { serviceAddress } from '../../serviceAddress.js';
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
    out[name] = serviceAddress(serviceHost(name, namespace), port.port, svc.ports, (p) => p.port);
  }
  return out;
}
