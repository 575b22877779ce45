/**
 * A rendering as a release stored it, brought to the current shape when it is read: values a newer
 * Berth renders by default (a port's `appProtocol`) are filled in, so `berth plan` and `diff` against
 * a revision made by an earlier Berth show only what the user changed.
 */
import { defaultAppProtocol } from '../model/ports.js';
import type { Workload } from '../model/workload.js';
import type { RenderedRelease } from './rendered.js';

/** Ports with their default `appProtocol` (http for the first TCP port, tcp for the others). */
export function portsWithDefaults(ports: Workload['ports']): Workload['ports'] {
  return ports.map((p, i) =>
    p.appProtocol !== undefined || p.protocol === 'UDP' ? p : { ...p, appProtocol: defaultAppProtocol(i, p.protocol)! },
  );
}

/** `rendered` with the defaults of fields newer than it filled in. */
export function upgradeStoredRendering(rendered: RenderedRelease): RenderedRelease {
  const services: RenderedRelease['services'] = {};
  for (const [name, svc] of Object.entries(rendered.services)) {
    services[name] = { ...svc, workload: { ...svc.workload, ports: portsWithDefaults(svc.workload.ports) } };
  }
  return { ...rendered, services };
}
