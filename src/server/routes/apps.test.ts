/** The apps routes' mapping (pure): an app at a glance, and its status from what the runtime observes. */
import { describe, expect, it } from 'vitest';
import type { Release } from '../../release/releases.js';
import type { RenderedRelease } from '../../release/rendered.js';
import type { ServiceStatus } from '../../model/observation.js';
import { appStatusOf, appSummaryOf } from './apps.js';

const last = { revision: 3, kind: 'deploy' } as Pick<Release, 'revision' | 'kind'> as Release;
const status = (service: string, runAs?: ServiceStatus['runAs']): ServiceStatus => ({
  app: 'shop',
  env: 'local',
  service,
  ...(runAs ? { runAs } : {}),
  desiredReplicas: 1,
  readyReplicas: 1,
  replicas: [],
});
const rendered = {
  services: {
    web: { workload: { runAs: 'container' } },
    api: { workload: {} },
  },
} as unknown as Pick<RenderedRelease, 'services'>;

describe('an app at a glance', () => {
  it('names the revision that runs, and whether it took the app down', () => {
    expect(appSummaryOf('shop', 'local', last, { revision: 3, kind: 'deploy' })).toEqual({
      app: 'shop',
      env: 'local',
      lastRelease: last,
      currentRevision: 3,
      down: false,
    });
    expect(appSummaryOf('shop', 'local', last, { revision: 4, kind: 'down' })).toMatchObject({ down: true });
    expect(appSummaryOf('shop', 'local', undefined, undefined)).toMatchObject({ currentRevision: null, down: false });
  });
});

describe('an app’s status', () => {
  const base = { app: 'shop', env: 'local', current: { revision: 3 }, last, drift: undefined };

  it('on one machine, says how each service runs: as the runtime says, else as the running revision rendered it', () => {
    const s = appStatusOf({
      ...base,
      observed: {
        services: [status('web'), status('api'), status('db', 'container')],
        edge: { url: 'http://127.0.0.1:8080', port: 8080 },
      },
      rendered,
      runtimeKind: 'local',
    });
    expect(s.services.map((x) => [x.service, x.runAs])).toEqual([
      ['web', 'container'],
      ['api', 'process'],
      ['db', 'container'],
    ]);
    expect(s).toMatchObject({ currentRevision: 3, lastRelease: last, edge: { port: 8080 } });
    expect(s).not.toHaveProperty('configDrift');
  });

  it('on a cluster, passes the services on as observed; nothing running is revision null', () => {
    const s = appStatusOf({
      ...base,
      current: undefined,
      last: undefined,
      observed: { services: [status('web')] },
      rendered,
      runtimeKind: 'kubernetes',
    });
    expect(s.services[0]).not.toHaveProperty('runAs');
    expect(s).toMatchObject({ currentRevision: null, lastRelease: null });
  });
});
