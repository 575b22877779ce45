/** Health at a glance: of one service from its replicas, of an app from its services. */
import type { ServiceStatus } from '../api/types';

export const Health = {
  healthy: 'healthy',
  progressing: 'progressing',
  degraded: 'degraded',
  down: 'down',
  stopped: 'stopped',
  unknown: 'unknown',
} as const;
export type Health = (typeof Health)[keyof typeof Health];

/** Colours for tags and graph nodes (Ant Design's palette). */
export const healthColor: Record<Health, string> = {
  healthy: '#52c41a',
  progressing: '#1677ff',
  degraded: '#faad14',
  down: '#ff4d4f',
  stopped: '#bfbfbf',
  unknown: '#8c8c8c',
};

/**
 * A service: every desired replica ready → healthy, unless its circuit breaker is open (or testing
 * with one request, half-open): requests get the fallback, so it is degraded; some starting →
 * progressing; none ready → down.
 */
export function serviceHealth(s: ServiceStatus): Health {
  if (s.desiredReplicas === 0) return s.replicas.length === 0 ? Health.stopped : Health.progressing;
  if (s.readyReplicas >= s.desiredReplicas)
    return s.circuit && s.circuit.state !== 'closed' ? Health.degraded : Health.healthy;
  const starting = s.replicas.some((r) => r.phase === 'starting');
  if (s.readyReplicas === 0) return starting ? Health.progressing : Health.down;
  return starting ? Health.progressing : Health.degraded;
}

const order: Health[] = [
  Health.down,
  Health.degraded,
  Health.progressing,
  Health.unknown,
  Health.healthy,
  Health.stopped,
];

/** An app: its worst service; stopped when it has none. */
export function appHealth(services: ServiceStatus[] | undefined): Health {
  if (!services) return Health.unknown;
  if (services.length === 0) return Health.stopped;
  const hs = services.map(serviceHealth);
  return order.find((h) => hs.includes(h)) ?? Health.unknown;
}
