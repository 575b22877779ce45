/**
 * The Helm export of what issue 13 adds on clusters (command and args, volumes, stateful claims,
 * job settings): the real `helm template` gives the objects `berth render` gives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportHelmChart } from './chart.js';
import { helmBinary } from '../../../test/support/helmBinary.mjs';
import { comparable, helmTemplate, writeChart } from './helmTestKit.js';
import { parseSpec } from '../../spec/load.js';
import { renderManifests } from '../../runtime/kubernetes/manifests/render.js';
import { at } from '../../runtime/kubernetes/manifests/testdata/at.js';
import { FIXTURE_FILE, fixtureInput, testDigest } from '../../runtime/kubernetes/manifests/testdata/fixture.js';

export const WORKLOADS_SPEC = `name: shop
variables:
  DIRECTION: { default: up }
volumes:
  pgdata: { size: 10Gi }
  uploads:
services:
  db:
    image: postgres:16
    stateful: true
    replicas: 2
    ports: [5432]
    volumes: ["pgdata:/var/lib/postgresql/data"]
  report:
    image: shop/report:1
    kind: cronjob
    schedule: "@hourly"
    concurrency: allow
    backoffLimit: 2
    volumes: ["uploads:/srv/uploads:ro"]
  api:
    image: shop/api:1
    entrypoint: [/usr/bin/tini, --]
    command: [node, server.js]
    ports: [8080]
  migrate:
    image: shop/api:1
    kind: job
    command: [migrate, "\${DIRECTION}"]
`;

let helm: string;
let dir: string;
beforeAll(async () => {
  helm = await helmBinary();
  dir = await mkdtemp(join(tmpdir(), 'berth-helm-workloads-'));
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Helm export of commands, volumes and jobs', () => {
  it('helm template gives the objects of berth render, the command a template value', async () => {
    const files = exportHelmChart({
      loaded: parseSpec(WORKLOADS_SPEC, FIXTURE_FILE),
      environment: { name: 'prod', defaults: {} },
      config: { version: 7, values: {}, files: {} },
      revision: 12,
      digestSecret: testDigest,
      options: { namespace: 'shop-prod' },
    });
    const chart = await writeChart(files, dir, 'workloads');
    const fromHelm = await helmTemplate(helm, chart, { release: 'shop', namespace: 'shop-prod', args: [] });
    const fromBerth = renderManifests(fixtureInput({ namespace: 'shop-prod' }, WORKLOADS_SPEC).manifest);
    expect(fromHelm.length).toBe(fromBerth.length);
    expect(comparable(fromHelm)).toEqual(comparable(fromBerth));
    const api = fromHelm.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api');
    expect(at(api, 'spec.template.spec.containers.0.command')).toEqual(['/usr/bin/tini', '--']);
    expect(at(api, 'spec.template.spec.containers.0.args')).toEqual(['node', 'server.js']);
    const down = await helmTemplate(helm, chart, {
      release: 'shop',
      namespace: 'shop-prod',
      args: ['--set', 'config.DIRECTION=down'],
    });
    const job = down.find((o) => o.kind === 'Job');
    expect(at(job, 'spec.template.spec.containers.0.args')).toEqual(['migrate', 'down']);
    const kinds = fromHelm.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toContain('PersistentVolumeClaim/shop-uploads');
    const db = fromHelm.find((o) => o.kind === 'StatefulSet');
    expect(at(db, 'spec.volumeClaimTemplates.0.metadata.name')).toBe('pgdata');
    expect(
      at(
        fromHelm.find((o) => o.kind === 'CronJob'),
        'spec.concurrencyPolicy',
      ),
    ).toBe('Allow');
  });

  it("carries the environment's storage class and time zone into the chart", async () => {
    const options = { namespace: 'shop-prod', storageClass: 'fast-ssd', timeZone: 'Europe/Berlin' };
    const files = exportHelmChart({
      loaded: parseSpec(WORKLOADS_SPEC, FIXTURE_FILE),
      environment: { name: 'prod', defaults: {} },
      config: { version: 7, values: {}, files: {} },
      revision: 12,
      digestSecret: testDigest,
      options,
    });
    const chart = await writeChart(files, dir, 'workloads-cluster');
    const fromHelm = await helmTemplate(helm, chart, { release: 'shop', namespace: 'shop-prod', args: [] });
    const fromBerth = renderManifests(fixtureInput(options, WORKLOADS_SPEC).manifest);
    expect(comparable(fromHelm)).toEqual(comparable(fromBerth));
    const claim = fromHelm.find((o) => o.kind === 'PersistentVolumeClaim');
    expect(at(claim, 'spec.storageClassName')).toBe('fast-ssd');
    expect(
      at(
        fromHelm.find((o) => o.kind === 'CronJob'),
        'spec.timeZone',
      ),
    ).toBe('Europe/Berlin');
  });
});
