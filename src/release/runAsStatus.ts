/**
 * How each service of an app runs on one machine, for `berth status`: what the runtime reports
 * (`ServiceStatus.runAs`), else what the running revision rendered (a container workload says
 * `runAs: container`; anything else on one machine is a process). Clusters always run images: their
 * services carry none.
 */
import type { ServiceStatus } from '../model/observation.js';
import type { RenderedRelease } from './rendered.js';
import { ownGet } from '../own.js';

/** `services` with `runAs` filled in from `rendered` where the runtime left it out (one machine only). */
export function withRunAs(
  services: ServiceStatus[],
  rendered: Pick<RenderedRelease, 'services'> | undefined,
  runtimeKind: 'local' | 'kubernetes',
): ServiceStatus[] {
  if (runtimeKind !== 'local') return services;
  return services.map((s) =>
    s.runAs !== undefined
      ? s
      : {
          ...s,
          runAs: ownGet(rendered?.services, s.service)?.workload.runAs === 'container' ? 'container' : 'process',
        },
  );
}
