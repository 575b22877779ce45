import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors.js';
import type { Release, ReleaseContent } from '../release/releases.js';
import { parseSpec } from '../spec/load.js';
import { autoscaleOf, releaseAutoscaleSource, type ReleaseReader } from './settings.js';

function content(services: string): ReleaseContent {
  const spec = parseSpec(`name: shop\nservices:\n${services}`, 'berth.yaml').spec;
  const rendered = {
    services: Object.fromEntries(
      Object.entries(spec.services).map(([n, s]) => [n, { workload: { resources: s.resources } }]),
    ),
  };
  return { spec, rendered } as unknown as ReleaseContent;
}

const AUTOSCALED = `  web:\n    command: node web.js\n    resources: { requests: { cpu: 250m } }\n    autoscale: { min: 2, max: 6, cpu: 60%, requestsPerSecond: 30, syncPeriod: 5s }\n  db:\n    command: db\n`;
const PLAIN = `  web:\n    command: node web.js\n`;

describe('autoscaleOf', () => {
  it('gives each autoscaled service its targets, timing and cpu request', () => {
    expect(autoscaleOf(content(AUTOSCALED))).toEqual({
      web: {
        minReplicas: 2,
        maxReplicas: 6,
        cpuPercent: 60,
        requestsPerSecond: 30,
        syncPeriodMs: 5000,
        scaleDownStabilizationMs: 300_000,
        tolerance: 0.1,
        cpuRequestMillis: 250,
      },
    });
  });

  it('fills the defaults for releases stored before syncPeriod, scaleDownStabilization and tolerance existed', () => {
    const c = content(AUTOSCALED);
    const web = c.spec.services.web!;
    web.autoscale = { min: 2, max: 6, requestsPerSecond: 30 } as typeof web.autoscale;
    expect(autoscaleOf(c).web).toMatchObject({
      syncPeriodMs: 15_000,
      scaleDownStabilizationMs: 300_000,
      tolerance: 0.1,
    });
  });
});

describe('releaseAutoscaleSource', () => {
  const release = (id: number, app: string, revision: number) => ({ id, app, env: 'local', revision }) as Release;
  const contents: Record<number, ReleaseContent> = {
    1: content(AUTOSCALED), // shop r1: current, autoscaled
    2: content(PLAIN), // blog r1: current, nothing autoscaled
    3: content(AUTOSCALED), // blog r2: running (its canary autoscales)
    4: content(PLAIN), // wiki r1: current, nothing autoscaled
  };
  let reads = 0;
  const reader: ReleaseReader = {
    active: async () => [release(1, 'shop', 1), release(2, 'blog', 1), release(4, 'wiki', 1)],
    unfinished: async () => [release(3, 'blog', 2)],
    async byRevision(app, _env, revision) {
      const r = [release(1, 'shop', 1), release(2, 'blog', 1), release(3, 'blog', 2), release(4, 'wiki', 1)].find(
        (x) => x.app === app && x.revision === revision,
      );
      if (!r) throw new NotFoundError('no such revision');
      return r;
    },
    async content(id) {
      reads++;
      return contents[id]!;
    },
  };

  it('watches the apps where the current or a running release autoscales something', async () => {
    const source = releaseAutoscaleSource(reader);
    expect(await source.targets()).toEqual([
      { app: 'shop', env: 'local' },
      { app: 'blog', env: 'local' },
    ]);
    expect(Object.keys(await source.settings('blog', 'local', 2))).toEqual(['web']);
    expect(await source.settings('blog', 'local', 1)).toEqual({});
    expect(await source.settings('blog', 'local', 9)).toEqual({});
  });

  it('reads each release content once (it never changes)', async () => {
    const source = releaseAutoscaleSource(reader);
    reads = 0;
    await source.targets();
    await source.targets();
    await source.settings('shop', 'local', 1);
    expect(reads).toBe(4);
  });
});
