/**
 * What the alert evaluator reads for an app in an environment, from what the control plane already
 * measures: the runtime's observation (unavailable replicas, restarts, open circuits) and the
 * gateway's request counters (error rate, p99), each as the change since the previous look.
 */
import {
  observedReadings,
  trafficReadings,
  type Readings,
  type RestartCounts,
  type TrafficCounters,
} from '../alerts/readings.js';
import type { TrackTraffic } from '../model/observation.js';
import type { Runtime } from '../runtime/runtime.js';

/** The evaluator's `read`, remembering the previous counters of each app and environment. */
export function createAlertReadings(
  runtimeFor: (env: string) => Promise<Runtime>,
): (app: string, env: string) => Promise<Readings> {
  const restarts = new Map<string, RestartCounts>();
  const counters = new Map<string, TrafficCounters>();
  return async (app, env) => {
    const key = `${app}\0${env}`;
    const runtime = await runtimeFor(env);
    const { services } = await runtime.observe(app, env);
    const observed = observedReadings(services, restarts.get(key) ?? new Map());
    restarts.set(key, observed.restarts);
    const readings: Readings = new Map(observed.readings);
    if (runtime.traffic) {
      const now = new Map<string, TrackTraffic[]>();
      for (const s of services) now.set(s.service, await runtime.traffic(app, env, s.service));
      const measured = trafficReadings(now, counters.get(key) ?? new Map());
      counters.set(key, measured.counters);
      for (const [metric, values] of measured.readings) readings.set(metric, values);
    }
    return readings;
  };
}
