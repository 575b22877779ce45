import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import type { TrafficPolicy } from '../model/routing.js';
import { parseRoutingTable } from './tableSchema.js';

function tableWith(policy: unknown, routePolicy?: unknown): unknown {
  return {
    generation: 1,
    services: [{ key: 'shop/local/api', port: 4000, backends: [], policy }],
    edges: [
      {
        key: 'shop/local',
        port: 4001,
        routes: [{ pathPrefix: '/api', target: 'shop/local/api', stripPrefix: true, policy: routePolicy }],
      },
    ],
  };
}

function problemsOf(value: unknown): { path: string; message: string }[] {
  try {
    parseRoutingTable(value, 'table.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems.map((p) => ({ path: p.path!, message: p.message }));
  }
  throw new Error('the table was accepted');
}

const full: TrafficPolicy = {
  rateLimit: { requestsPerSecond: 0.5, burst: 10 },
  timeoutMs: 2_000,
  retries: { attempts: 2, onStatus: [502, 503], backoffMs: 0 },
  circuitBreaker: { errorRate: 0.5, minRequests: 20, windowMs: 10_000, openMs: 30_000, halfOpenRequests: 1 },
  fallback: { status: 503, body: '{"degraded":true}', contentType: 'application/json' },
};

describe('routing table policies', () => {
  it('accepts complete service and route policies as they are', () => {
    const t = parseRoutingTable(tableWith(full, { timeoutMs: 100 }));
    expect(t.services[0]!.policy).toEqual(full);
    expect(t.edges[0]!.routes[0]!.policy).toEqual({ timeoutMs: 100 });
  });

  it('names every problem with its path', () => {
    const problems = problemsOf(
      tableWith(
        {
          rateLimit: { requestsPerSecond: 0, burst: 0.5 },
          timeoutMs: -1,
          retries: { attempts: 1, onStatus: [99, 600], backoffMs: -5 },
          circuitBreaker: { errorRate: 1.5, minRequests: 1, windowMs: 1000, openMs: 0, halfOpenRequests: 1 },
          fallback: { status: 700, body: 'x', contentType: '' },
        },
        { circuitBreaker: { minRequests: 1, windowMs: 1000, openMs: 1000, halfOpenRequests: 1 } },
      ),
    );
    const at = (path: string): string[] => problems.filter((p) => p.path === path).map((p) => p.message);
    const base = 'services.0.policy';
    expect(at(`${base}.rateLimit.requestsPerSecond`)).toHaveLength(1);
    expect(at(`${base}.rateLimit.burst`)).toHaveLength(1);
    expect(at(`${base}.timeoutMs`)).toHaveLength(1);
    expect(at(`${base}.retries.onStatus.0`)).toEqual(['must be an HTTP status (100-599)']);
    expect(at(`${base}.retries.onStatus.1`)).toEqual(['must be an HTTP status (100-599)']);
    expect(at(`${base}.retries.backoffMs`)).toHaveLength(1);
    expect(at(`${base}.circuitBreaker.errorRate`)).toHaveLength(1);
    expect(at(`${base}.circuitBreaker.openMs`)).toHaveLength(1);
    expect(at(`${base}.fallback.status`)).toEqual(['must be an HTTP status (100-599)']);
    expect(at(`${base}.fallback.contentType`)).toEqual(['must not be empty']);
    expect(at('edges.0.routes.0.policy.circuitBreaker')).toEqual(['give consecutiveFailures, errorRate or both']);
    expect(problems).toHaveLength(11);
  });
});

describe('routing table service hosts', () => {
  it('accepts a bridge address and refuses wildcards, loopback and names, saying which entry', () => {
    const t = parseRoutingTable({ ...(tableWith(undefined) as object), serviceHosts: ['172.17.0.1'] });
    expect(t.serviceHosts).toEqual(['172.17.0.1']);
    const message = 'must be an IPv4 address that is neither a wildcard, broadcast nor loopback';
    expect(
      problemsOf({ ...(tableWith(undefined) as object), serviceHosts: ['0.0.0.0', '127.0.0.2', 'docker0', '::'] }),
    ).toEqual([0, 1, 2, 3].map((i) => ({ path: `serviceHosts.${i}`, message })));
  });
});
