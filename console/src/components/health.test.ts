import { describe, expect, it } from 'vitest';
import type { ReplicaStatus, ServiceStatus } from '../api/types';
import { appHealth, serviceHealth } from './health';

const replica = (phase: ReplicaStatus['phase']): ReplicaStatus => ({ id: phase, phase, hash: 'h', restarts: 0 });
const svc = (ready: number, desired: number, phases: ReplicaStatus['phase'][] = []): ServiceStatus => ({
  app: 'a',
  env: 'e',
  service: 's',
  readyReplicas: ready,
  desiredReplicas: desired,
  replicas: phases.map(replica),
});

describe('health', () => {
  it('rates a service from its replicas', () => {
    expect(serviceHealth(svc(2, 2, ['ready', 'ready']))).toBe('healthy');
    expect(serviceHealth(svc(1, 2, ['ready', 'backoff']))).toBe('degraded');
    expect(serviceHealth(svc(1, 2, ['ready', 'starting']))).toBe('progressing');
    expect(serviceHealth(svc(0, 1, ['backoff']))).toBe('down');
    expect(serviceHealth(svc(0, 0))).toBe('stopped');
  });

  it('rates a service whose circuit breaker is open or half-open as degraded, and so its app', () => {
    const open = { ...svc(2, 2, ['ready', 'ready']), circuit: { state: 'open' as const, reason: '5 failures' } };
    expect(serviceHealth(open)).toBe('degraded');
    expect(serviceHealth({ ...open, circuit: { state: 'halfOpen' } })).toBe('degraded');
    expect(serviceHealth({ ...open, circuit: { state: 'closed' } })).toBe('healthy');
    expect(appHealth([svc(1, 1, ['ready']), open])).toBe('degraded');
  });

  it('rates an app by its worst service', () => {
    expect(appHealth([svc(1, 1, ['ready']), svc(0, 1, ['exited'])])).toBe('down');
    expect(appHealth([svc(1, 1, ['ready']), svc(1, 2, ['ready', 'unready'])])).toBe('degraded');
    expect(appHealth([svc(1, 1, ['ready'])])).toBe('healthy');
    expect(appHealth([])).toBe('stopped');
    expect(appHealth(undefined)).toBe('unknown');
  });
});
