import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { parseSpec } from '../spec/load.js';
import type { RenderedRelease } from './rendered.js';
import type { Release, ReleaseContent } from './releases.js';
import {
  downRevision,
  policyRevision,
  restartRevision,
  rollbackRevision,
  scaleIsNoop,
  scaleRevision,
} from './revisions.js';

const { spec, digest } = parseSpec(
  [
    'name: shop',
    'services:',
    '  web: { image: web, replicas: 2 }',
    '  orders: { image: orders }',
    'routes:',
    '  - { path: /api, service: orders }',
  ].join('\n'),
  'berth.yaml',
);

function content(over: Partial<Release> = {}, restarts?: Record<string, string>): ReleaseContent {
  const release = {
    id: 9,
    app: 'shop',
    env: 'dev',
    revision: 4,
    kind: 'deploy',
    status: 'succeeded',
    specDigest: digest,
    specFile: '/src/shop/berth.yaml',
    configVersion: 3,
    ...over,
  } as Release;
  const rendered = { app: 'shop', env: 'dev', configVersion: 3, ...(restarts ? { restarts } : {}) } as RenderedRelease;
  return { release, spec, rendered };
}

describe('revisions', () => {
  it('rolls back to a revision with its config version, and refuses one that took the app down', () => {
    const r = rollbackRevision(content({}, { web: 'T0' }), { author: 'ana' });
    expect(r).toMatchObject({
      kind: 'rollback',
      configVersion: 3,
      sourceRevision: 4,
      rollbackPolicy: 'none',
      restarts: { web: 'T0' },
      message: 'rollback to revision 4',
      file: '/src/shop/berth.yaml',
    });
    expect(() => rollbackRevision(content({ kind: 'down' }), { author: 'ana' })).toThrow(ValidationError);
  });

  it('scales one service without touching the running content', () => {
    const before = content();
    const r = scaleRevision(before, { service: 'web', replicas: 5, author: 'ana' });
    expect(r.spec.services.web!.replicas).toBe(5);
    // a coded message (the console translates it), its text what the CLI prints
    expect(r.message).toEqual({
      code: 'revision.scale',
      params: { service: 'web', from: 2, to: 5 },
      text: 'scale web from 2 to 5',
    });
    expect(r.specDigest).not.toBe(digest);
    expect(before.spec.services.web!.replicas).toBe(2);
    expect(() => scaleRevision(before, { service: 'wbe', replicas: 1, author: 'ana' })).toThrow(
      new NotFoundError('shop has no service wbe (services: web, orders)'),
    );
  });

  it('makes no revision for the count a service already has, and leaves an autoscaled one to its autoscaler', () => {
    expect(scaleIsNoop(content(), { service: 'web', replicas: 2 })).toBe(true);
    expect(scaleIsNoop(content(), { service: 'web', replicas: 3 })).toBe(false);
    const scaled = parseSpec(
      [
        'name: shop',
        'services:',
        '  web: { image: web, autoscale: { min: 1, max: 4, cpu: 70% }, resources: { requests: { cpu: 100m } } }',
      ].join('\n'),
      'berth.yaml',
    ).spec;
    const auto = { ...content(), spec: scaled };
    expect(scaleIsNoop(auto, { service: 'web', replicas: 1 })).toBe(false);
    expect(() => scaleRevision(auto, { service: 'web', replicas: 3, author: 'ana' })).toThrow(ConflictError);
    expect(() => scaleRevision(auto, { service: 'web', replicas: 3, author: 'ana' })).toThrow(
      'shop/web is autoscaled (min 1, max 4): the autoscaler owns its replica count; change autoscale.min and autoscale.max in berth.yaml and deploy',
    );
  });

  it("replaces or removes a service's or a route's policy, naming the routes there are", () => {
    const set = policyRevision(content(), {
      target: { route: { path: '/api' } },
      policy: { timeoutMs: 500 },
      author: 'ana',
    });
    expect(set.spec.routes[0]!.policy).toEqual({ timeoutMs: 500 });
    expect(set.message).toBe('traffic policy of route /api changed');
    expect(spec.routes[0]!.policy).toBeUndefined();
    const removed = policyRevision(
      { ...content(), spec: set.spec },
      { target: { route: { path: '/api' } }, policy: null, author: 'ana' },
    );
    expect(removed.spec.routes[0]!.policy).toBeUndefined();
    expect(removed.specDigest).toBe(digest);
    expect(() =>
      policyRevision(content(), { target: { route: { path: '/x', host: 'a.example' } }, policy: null, author: 'a' }),
    ).toThrow('shop has no route a.example/x (routes: /api)');
  });

  it('stamps a restart on one service or all, keeping earlier stamps', () => {
    const one = restartRevision(content({}, { orders: 'T0' }), { service: 'web', author: 'ana' }, 'T1');
    expect(one.restarts).toEqual({ orders: 'T0', web: 'T1' });
    const all = restartRevision(content(), { author: 'ana' }, 'T2');
    expect(all.restarts).toEqual({ web: 'T2', orders: 'T2' });
    expect(all.message).toMatchObject({ code: 'revision.restartAll', text: 'rolling restart of every service' });
  });

  it('takes the app down keeping its spec for a later rollback, and no restart stamps', () => {
    const r = downRevision(content({}, { web: 'T0' }), { author: 'ana' });
    expect(r).toMatchObject({ kind: 'down', rollbackPolicy: 'none', specDigest: digest, configVersion: 3 });
    expect(r.restarts).toBeUndefined();
  });
});
