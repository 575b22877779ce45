/**
 * What the alert evaluator reads for an app in an environment, from what the control plane already
 * measures: the runtime's observation (unavailable replicas, restarts, open circuits), the
 * gateway's request counters (error rate, p99) and the events in the store (releases failed or
 * rolled back, job runs failed, cronjob due times missed), each as the change since the previous look.
 */
import {
  observedReadings,
  trafficReadings,
  type Readings,
  type RestartCounts,
  type TrafficCounters,
} from '../alerts/readings.js';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { eventReadings, type EventCursor } from '../alerts/events.js';
import type { TrackTraffic } from '../model/observation.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Database } from '../store/schema.js';

/** The evaluator's `read`, remembering the previous counters of each app and environment. */
export function createAlertReadings(o: {
  runtimeFor: (env: string) => Promise<Pick<Runtime, 'observe' | 'traffic'>>;
  db: Kysely<Database>;
  now?: () => Date;
  logger?: Pick<Logger, 'warn'>;
}): (app: string, env: string) => Promise<Readings> {
  const { runtimeFor } = o;
  const now = o.now ?? (() => new Date());
  const restarts = new Map<string, RestartCounts>();
  const counters = new Map<string, TrafficCounters>();
  const cursors = new Map<string, EventCursor>();
  return async (app, env) => {
    const key = `${app}\0${env}`;
    const runtime = await runtimeFor(env);
    const { services } = await runtime.observe(app, env);
    const observed = observedReadings(services, restarts.get(key) ?? new Map());
    restarts.set(key, observed.restarts);
    const readings: Readings = new Map(observed.readings);
    if (runtime.traffic) {
      const now = new Map<string, TrackTraffic[]>();
      try {
        // Asked for at once: the local runtime answers them from one reading of the gateway.
        const traffic = runtime.traffic.bind(runtime);
        const read = await Promise.all(services.map((s) => traffic(app, env, s.service)));
        services.forEach((s, i) => now.set(s.service, read[i]!));
        const previous = counters.get(key);
        const measured = trafficReadings(now, previous ?? new Map());
        counters.set(key, measured.counters);
        // The first look (after a start of the control plane too) has nothing to measure an interval
        // from: its traffic metrics are not measured, so firing alerts keep their states instead of
        // resolving on an empty reading.
        if (previous) for (const [metric, values] of measured.readings) readings.set(metric, values);
      } catch (err) {
        // No traffic this look (a cluster's Prometheus down): the replicas and events are still read,
        // and the next look measures the requests since the last one that was read.
        o.logger?.warn({ err, app, env }, 'alerts: cannot read traffic');
      }
    }
    const events = await eventReadings(o.db, app, env, cursors.get(key), now().toISOString());
    cursors.set(key, events.cursor);
    for (const [metric, values] of events.readings) readings.set(metric, values);
    return readings;
  };
}
