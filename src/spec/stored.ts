/**
 * A spec as a release stored it: the normalised berth.yaml of the Berth version that made the release.
 * Fields added to the schema since are filled with their defaults here, once, so that rendering an old
 * revision again (rollback, resume, the last good state) sees the same shape as a freshly loaded spec.
 */
import type { AppSpec, ServiceSpec } from './schema.js';

/** `spec` with the defaults of fields newer than it filled in. */
export function upgradeStoredSpec(spec: AppSpec): AppSpec {
  const services: Record<string, ServiceSpec> = {};
  for (const [name, svc] of Object.entries(spec.services)) {
    const s = svc as Partial<ServiceSpec> & ServiceSpec;
    services[name] = {
      ...s,
      volumes: s.volumes ?? [],
      // Specs stored before strategies existed have none: they are rolling.
      strategy: s.strategy ?? { type: 'rolling' },
    };
  }
  return { ...spec, services, volumes: (spec as Partial<AppSpec>).volumes ?? {} };
}
