/**
 * What the metric sampler (src/metrics/sampler.ts) reads each tick: every app and environment with a
 * current release that is not `down`, its services' replicas as the runtime observes them, and the
 * proxy's cumulative request counters per track and per route. An environment that cannot be read
 * (a cluster down) is left out of that tick, logged once per failure, and does not stop the others.
 * The apps are read side by side, so the local runtime answers them all from one reading of the
 * gateway's counters (one request per tick, not one per app).
 */
import type { Logger } from 'pino';
import type { AppReading } from '../metrics/sampler.js';
import type { Releases } from '../release/releases.js';
import type { Runtime } from '../runtime/runtime.js';

export function createMetricSource(o: {
  releases: Pick<Releases, 'active'>;
  runtimeFor: (env: string) => Promise<Runtime>;
  logger?: Logger;
}): () => Promise<AppReading[]> {
  const failing = new Map<string, string>();
  return async () => {
    // The current releases that run something, read again only when the release records changed.
    const read = async ({ app, env }: { app: string; env: string }): Promise<AppReading | undefined> => {
      const key = `${app}\0${env}`;
      try {
        const runtime = await o.runtimeFor(env);
        const observed = await runtime.observe(app, env);
        // Every service's counters asked for at once: the local runtime answers callers that ask
        // together from one reading of the gateway (one request per app per tick, not per service).
        const services = await Promise.all(
          observed.services.map(async (s) => {
            // A traffic reading that fails (a cluster's Prometheus down) leaves out this service's
            // requests for the tick, not its replicas nor the other services.
            const unread = (err: unknown): undefined => {
              o.logger?.warn({ err, app, env, service: s.service }, 'metric history: cannot read traffic');
              return undefined;
            };
            const [tracks, routes] = await Promise.all([
              runtime.traffic?.(app, env, s.service).catch(unread),
              runtime.routeTraffic?.(app, env, s.service).catch(unread),
            ]);
            return { s, tracks, routes };
          }),
        );
        const reading: AppReading = { app, env, services: [] };
        for (const { s, tracks, routes } of services) {
          const t = s.tracks ?? [{ desiredReplicas: s.desiredReplicas, readyReplicas: s.readyReplicas }];
          reading.services.push({
            service: s.service,
            tracks: tracks ?? [],
            routes: routes ?? [],
            replicas: s.replicas.map((r) => ({
              id: r.id,
              restarts: r.restarts,
              ...(r.cpuPercent !== undefined ? { cpuPercent: r.cpuPercent } : {}),
              ...(r.memoryBytes !== undefined ? { memoryBytes: r.memoryBytes } : {}),
            })),
            ready: t.reduce((a, x) => a + x.readyReplicas, 0),
            desired: t.reduce((a, x) => a + x.desiredReplicas, 0),
          });
        }
        failing.delete(key);
        return reading;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (failing.get(key) !== message) o.logger?.warn({ err, app, env }, 'metric history: cannot observe');
        failing.set(key, message);
        return undefined;
      }
    };
    const readings = await Promise.all((await o.releases.active()).map(read));
    return readings.filter((r): r is AppReading => r !== undefined);
  };
}
