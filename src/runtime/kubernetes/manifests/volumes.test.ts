/**
 * Issue 13 on clusters: volumes as PersistentVolumeClaims, a stateful service's claim per replica and
 * its replica index, and the job settings, rendered and valid against the Kubernetes schemas.
 */
import { describe, expect, it } from 'vitest';
import { renderManifests } from './render.js';
import { fixtureInput } from './testdata/fixture.js';
import { at } from './testdata/at.js';
import type { KubernetesObject } from './contract.js';
import { ValidationError } from '../../../errors.js';
import { objectProblems } from './validate.js';
import { supportedVersions } from './testdata/supportedVersions.js';

const SPEC = `name: shop
volumes:
  pgdata: { size: 10Gi }
  uploads:
  assets: { size: 512Mi }
services:
  db:
    image: postgres:16
    stateful: true
    replicas: 2
    ports: [{ name: pg, port: 5432 }]
    volumes:
      - { volume: pgdata, path: /var/lib/postgresql/data, env: PGDATA }
  web:
    image: shop/web:1
    ports: [8080]
    volumes: ["uploads:/srv/uploads", "assets:/srv/assets:ro"]
  resize:
    image: shop/web:1
    kind: job
    backoffLimit: 3
    command: [resize, /srv/uploads]
    volumes: ["uploads:/srv/uploads"]
  report:
    image: shop/report:1
    kind: cronjob
    schedule: "*/5 * * * *"
    concurrency: replace
    backoffLimit: 2
`;

const find = (objects: KubernetesObject[], kind: string, name: string) =>
  at(
    objects.find((o) => o.kind === kind && o.metadata.name.startsWith(name)),
    '',
  );

describe('volumes on clusters', () => {
  const objects = renderManifests(fixtureInput({ storageClass: 'fast-ssd' }, SPEC).manifest);

  it('renders one PersistentVolumeClaim per volume of replicated services, sized and in the storage class', () => {
    const claims = objects.filter((o) => o.kind === 'PersistentVolumeClaim');
    expect(claims.map((c) => c.metadata.name)).toEqual(['shop-assets', 'shop-uploads']);
    const uploads = find(objects, 'PersistentVolumeClaim', 'shop-uploads');
    expect(uploads.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast-ssd',
      resources: { requests: { storage: '1Gi' } },
    });
    expect(find(objects, 'PersistentVolumeClaim', 'shop-assets').spec.resources.requests.storage).toBe('512Mi');
    expect(uploads.metadata.labels).toMatchObject({
      'app.kubernetes.io/part-of': 'shop',
      'app.kubernetes.io/managed-by': 'berth',
      'berth.dev/env': 'prod',
      'berth.dev/volume': 'uploads',
    });
    // Shared by the services that mount it: no service label.
    expect(uploads.metadata.labels).not.toHaveProperty('app.kubernetes.io/name');
  });

  it('mounts the claims into the pod, read-only where berth.yaml says so', () => {
    const pod = find(objects, 'Deployment', 'web').spec.template.spec;
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'uploads', mountPath: '/srv/uploads', readOnly: false },
      { name: 'assets', mountPath: '/srv/assets', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'uploads', persistentVolumeClaim: { claimName: 'shop-uploads' } },
      { name: 'assets', persistentVolumeClaim: { claimName: 'shop-assets', readOnly: true } },
    ]);
    const job = find(objects, 'Job', 'resize-').spec.template.spec;
    expect(job.volumes).toEqual([{ name: 'uploads', persistentVolumeClaim: { claimName: 'shop-uploads' } }]);
  });

  it('uses the cluster default class without a storage class, and a default size of 1Gi', () => {
    const plain = renderManifests(fixtureInput({}, SPEC).manifest);
    const uploads = find(plain, 'PersistentVolumeClaim', 'shop-uploads');
    expect(uploads.spec).not.toHaveProperty('storageClassName');
    expect(uploads.spec.resources.requests.storage).toBe('1Gi');
  });

  it("sizes a volume's claims per environment (volumeSizes) over berth.yaml's size, stateful templates too", () => {
    const sized = renderManifests(
      fixtureInput({ volumeSizes: { uploads: 50 * 2 ** 30, pgdata: 200 * 2 ** 30 } }, SPEC).manifest,
    );
    expect(find(sized, 'PersistentVolumeClaim', 'shop-uploads').spec.resources.requests.storage).toBe('50Gi');
    // Not named by the environment: berth.yaml's size.
    expect(find(sized, 'PersistentVolumeClaim', 'shop-assets').spec.resources.requests.storage).toBe('512Mi');
    const templates = find(sized, 'StatefulSet', 'db').spec.volumeClaimTemplates;
    expect(templates[0].spec.resources.requests.storage).toBe('200Gi');
  });
});

describe('a stateful service with volumes', () => {
  const objects = renderManifests(fixtureInput({ storageClass: 'fast-ssd' }, SPEC).manifest);
  const sts = find(objects, 'StatefulSet', 'db');

  it('gets a claim per replica from volumeClaimTemplates (pgdata-db-0, pgdata-db-1), none shared', () => {
    expect(sts.spec.serviceName).toBe('db-headless');
    expect(sts.spec.volumeClaimTemplates).toEqual([
      {
        metadata: {
          name: 'pgdata',
          labels: {
            'app.kubernetes.io/name': 'db',
            'app.kubernetes.io/part-of': 'shop',
            'app.kubernetes.io/managed-by': 'berth',
            'berth.dev/env': 'prod',
            'berth.dev/volume': 'pgdata',
          },
        },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'fast-ssd',
          resources: { requests: { storage: '10Gi' } },
        },
      },
    ]);
    const pod = sts.spec.template.spec;
    expect(pod.volumes).toBeUndefined();
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'pgdata', mountPath: '/var/lib/postgresql/data', readOnly: false },
    ]);
    expect(objects.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'shop-pgdata')).toBe(
      undefined,
    );
  });

  it("sets BERTH_REPLICA_INDEX from the pod's index label (Kubernetes 1.28+)", () => {
    expect(sts.spec.template.spec.containers[0].env).toContainEqual({
      name: 'BERTH_REPLICA_INDEX',
      valueFrom: { fieldRef: { fieldPath: "metadata.labels['apps.kubernetes.io/pod-index']" } },
    });
    const web = find(objects, 'Deployment', 'web').spec.template.spec.containers[0];
    expect(JSON.stringify(web.env ?? [])).not.toContain('BERTH_REPLICA_INDEX');
    const old = renderManifests(fixtureInput({ kubernetesVersion: '1.27' }, SPEC).manifest);
    const oldEnv = find(old, 'StatefulSet', 'db').spec.template.spec.containers[0].env ?? [];
    expect(JSON.stringify(oldEnv)).not.toContain('BERTH_REPLICA_INDEX');
  });
});

describe('jobs and cronjobs on clusters', () => {
  const objects = renderManifests(fixtureInput({ timeZone: 'Europe/Berlin' }, SPEC).manifest);

  it("takes a Job's backoffLimit from berth.yaml (default 0)", () => {
    expect(find(objects, 'Job', 'resize-').spec.backoffLimit).toBe(3);
    const migrate = renderManifests(
      fixtureInput({}, 'name: shop\nservices:\n  migrate: { image: shop/api:1, kind: job }\n').manifest,
    );
    expect(find(migrate, 'Job', 'migrate-').spec.backoffLimit).toBe(0);
  });

  it("maps concurrency to the CronJob's concurrencyPolicy and sets the environment's time zone", () => {
    const report = find(objects, 'CronJob', 'report').spec;
    expect(report.concurrencyPolicy).toBe('Replace');
    expect(report.timeZone).toBe('Europe/Berlin');
    expect(report.jobTemplate.spec.backoffLimit).toBe(2);
    for (const [concurrency, policy] of [
      ['forbid', 'Forbid'],
      ['allow', 'Allow'],
    ] as const) {
      const other = renderManifests(
        fixtureInput({}, SPEC.replace('concurrency: replace', `concurrency: ${concurrency}`)).manifest,
      );
      const spec = find(other, 'CronJob', 'report').spec;
      expect(spec.concurrencyPolicy).toBe(policy);
      expect(spec).not.toHaveProperty('timeZone');
    }
  });

  it('refuses a time zone for a Kubernetes version without CronJob timeZone', () => {
    const render = () =>
      renderManifests(fixtureInput({ timeZone: 'Europe/Berlin', kubernetesVersion: '1.26' }, SPEC).manifest);
    expect(render).toThrow(ValidationError);
    try {
      render();
    } catch (err) {
      expect(JSON.stringify((err as ValidationError).problems)).toContain('needs Kubernetes 1.27');
    }
  });
});

describe('schema validation of volumes, claim templates and job settings', () => {
  it('validates against the OpenAPI schemas of every supported Kubernetes version', () => {
    for (const v of supportedVersions()) {
      const objects = renderManifests(fixtureInput({ kubernetesVersion: v, storageClass: 'fast-ssd' }, SPEC).manifest);
      const kinds = new Set(objects.map((o) => o.kind));
      expect([...kinds]).toEqual(expect.arrayContaining(['PersistentVolumeClaim', 'StatefulSet', 'Job', 'CronJob']));
      for (const o of objects) expect(objectProblems(o, Number(v.split('.')[1])), `${v} ${o.kind}`).toEqual([]);
    }
  });

  it('rejects a malformed claim with the field path', () => {
    const objects = renderManifests(fixtureInput({}, SPEC).manifest);
    const claim = structuredClone(objects.find((o) => o.kind === 'PersistentVolumeClaim')!);
    (claim.spec as { accessModes: unknown }).accessModes = 'ReadWriteOnce';
    expect(objectProblems(claim, 30)).toEqual([expect.objectContaining({ path: 'spec.accessModes' })]);
  });
});
