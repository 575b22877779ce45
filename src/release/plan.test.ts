import { describe, expect, it } from 'vitest';
import { parseSpec } from '../spec/load.js';
import { renderRelease, type RenderInput } from './render.js';
import { planContextOf, planRelease } from './plan.js';
import { specPathOf, specValueOf } from './planPaths.js';

const FILE = '/apps/shop/berth.yaml';
const BASE = `name: shop
services:
  api:
    command: node api.js
    ports: [{ name: http, port: 8080 }]
    health: { readiness: { http: { path: /healthz }, period: 1s } }
    strategy: canary
    env: { LEVEL: info }
routes:
  - { path: /api, service: api }
`;

const rendered = (text: string, configVersion = 1): ReturnType<typeof renderRelease>['rendered'] => {
  const loaded = parseSpec(text, FILE);
  const input: RenderInput = {
    spec: loaded.spec,
    file: FILE,
    positionOf: loaded.positionOf,
    environment: { name: 'local', defaults: {} },
    config: { version: configVersion, values: {}, files: {} },
    addresses: { api: { host: '127.0.0.1', port: 41002, url: 'http://127.0.0.1:41002' } },
    revision: 1,
    digestSecret: (s) => `d${s.length}`,
  };
  return renderRelease(input).rendered;
};
const spec = planContextOf([], true);

/** Rendered for a local environment, whose edge ports a plan shows. */
const renderedLocal = (text: string, edgePort?: number): ReturnType<typeof renderRelease>['rendered'] => {
  const loaded = parseSpec(text, FILE);
  return renderRelease({
    spec: loaded.spec,
    file: FILE,
    positionOf: loaded.positionOf,
    environment: {
      name: 'stage',
      defaults: {},
      target: { kind: 'local', ...(edgePort === undefined ? {} : { edgePort }) },
    },
    config: { version: 1, values: {}, files: {} },
    addresses: { api: { host: '127.0.0.1', port: 41002, url: 'http://127.0.0.1:41002' } },
    revision: 1,
    digestSecret: (s) => `d${s.length}`,
  }).rendered;
};

describe('plan', () => {
  it("shows the edge's port and TLS changes, and where a port was set", () => {
    const tls = (port: number, redirect: boolean): string =>
      `${BASE}edge:\n  port: 9000\n  tls: { port: ${port}, redirect: ${redirect}, devCertificates: true }\n`;
    const plan = planRelease(renderedLocal(tls(9443, false)), renderedLocal(tls(9444, true)), spec);
    expect(plan.changed).toBe(true);
    expect(plan.services.every((s) => s.action === 'unchanged')).toBe(true);
    expect(plan.edge).toEqual([
      { path: 'edge.tls.port', from: 9443, to: 9444, because: ['berth.yaml edge.tls.port'] },
      { path: 'edge.tls.redirect', from: false, to: true, because: ['berth.yaml'] },
    ]);
    // The environment's edge port: said to come from the environment.
    const env = planRelease(renderedLocal(BASE, 9100), renderedLocal(BASE, 9200), planContextOf([], false));
    expect(env.edge).toEqual([{ path: 'edge.port', from: 9100, to: 9200, because: ['environment'] }]);
    // HTTPS added: its fields appear, from nothing.
    const added = planRelease(renderedLocal(BASE), renderedLocal(tls(9443, true)), spec);
    expect(added.edge.map((c) => c.path)).toEqual(
      expect.arrayContaining(['edge.port', 'edge.tls.port', 'edge.tls.redirect', 'edge.tls.devCertificates']),
    );
    expect(planRelease(renderedLocal(BASE), renderedLocal(BASE), spec).edge).toEqual([]);
  });

  it('names the strategy that replaces the replicas', () => {
    const plan = planRelease(rendered(BASE), rendered(BASE.replace('LEVEL: info', 'LEVEL: debug')), spec);
    expect(plan.services[0]).toMatchObject({ action: 'update', restart: true, strategy: 'canary' });
    const rolling = BASE.replace('    strategy: canary\n', '');
    expect(planRelease(rendered(rolling), rendered(rolling.replace('info', 'debug')), spec).services[0]!.strategy).toBe(
      'rolling',
    );
  });

  it("shows a route's policy change as a policy change, not as the route removed and added", () => {
    const withPolicy = BASE.replace(
      '{ path: /api, service: api }',
      '{ path: /api, service: api, policy: { timeout: 500ms } }',
    );
    const plan = planRelease(rendered(BASE), rendered(withPolicy), spec);
    expect(plan.routes.added).toEqual([]);
    expect(plan.routes.removed).toEqual([]);
    expect(plan.routes.policyChanged).toEqual([
      { route: expect.objectContaining({ pathPrefix: '/api', service: 'api' }), to: { timeoutMs: 500 } },
    ]);
    expect(plan.changed).toBe(true);
  });

  it("shows a service's policy change, which moves no replica", () => {
    const withPolicy = BASE.replace('    strategy: canary\n', '    strategy: canary\n    policy: { timeout: 500ms }\n');
    const plan = planRelease(rendered(BASE), rendered(withPolicy), spec);
    expect(plan.services[0]).toMatchObject({ action: 'update', restart: false });
    expect(plan.services[0]!.changes).toEqual([{ path: 'policy.timeout', to: '500ms', because: ['berth.yaml'] }]);
  });

  it("names fields by berth.yaml's paths, with berth.yaml's units", () => {
    const plan = planRelease(rendered(BASE), rendered(BASE.replace('period: 1s', 'period: 2500ms')), spec);
    expect(plan.services[0]!.changes).toEqual([
      { path: 'health.readiness.period', from: '1s', to: '2500ms', because: ['berth.yaml'] },
    ]);
    expect(specPathOf('files.nginx/site.conf')).toBe('files[nginx/site.conf]');
    expect(specPathOf('ports.http')).toBe('ports[http]');
    expect(specPathOf('env.TIMEOUT_Ms')).toBe('env.TIMEOUT_Ms');
    expect(specPathOf('resources.memoryLimitBytes')).toBe('resources.limits.memory');
    expect(specValueOf('resources.memoryLimitBytes', 268435456)).toBe('256Mi');
    expect(specPathOf('resources.cpuRequestMillis')).toBe('resources.requests.cpu');
    expect(specValueOf('resources.cpuRequestMillis', 250)).toBe('250m');
    expect(specPathOf('terminationGracePeriodMs')).toBe('terminationGracePeriod');
    expect(specPathOf('rollout.progressDeadlineMs')).toBe('rollout.progressDeadline');
    expect(specPathOf('policy.circuitBreaker.openMs')).toBe('policy.circuitBreaker.openFor');
    expect(specPathOf('readiness.kind')).toBe('health.readiness');
    expect(specPathOf('liveness.command')).toBe('health.liveness.exec.command');
  });

  it('names a changed config file as `file:NAME`, for plan and diff alike', () => {
    expect(
      planContextOf(
        [
          { kind: 'file', key: 'rules.json' },
          { kind: 'value', key: 'LEVEL' },
        ],
        false,
      ),
    ).toEqual({ changedConfigKeys: ['file:rules.json', 'LEVEL'], specChanged: false });
  });
});
