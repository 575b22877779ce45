import { describe, expect, it } from 'vitest';
import { renderManifests, renderManifestsOnce } from './render.js';
import { ManifestMemo } from './manifestMemo.js';
import { forgetValidObjects, heldVerdicts, objectProblems, validateObjects } from './validate.js';
import { fixtureInput, FIXTURE_TEXT } from './testdata/fixture.js';
import { kubernetesAddresses } from './addresses.js';
import { parseSpec } from '../../../spec/load.js';
import { ValidationError } from '../../../errors.js';
import type { KubernetesObject } from './contract.js';
import { ANNOTATION, LABEL } from './contract.js';

import { objectsToYaml as yamlOf } from './toYaml.js';
import { at } from './testdata/at.js';

const find = (objects: KubernetesObject[], kind: string, name: string) =>
  at(
    objects.find((o) => o.kind === kind && o.metadata.name === name),
    '',
  );

describe('renderManifests', () => {
  const real = renderManifests(fixtureInput().manifest);

  it('puts discovery carried beside the env into each ConfigMap when no shared one is rendered', () => {
    const { addresses, ...manifest } = fixtureInput().manifest;
    expect(manifest.services.web!.discovery).toEqual(expect.objectContaining({ API_URL: expect.any(String) }));
    const objects = renderManifests(manifest);
    expect(objects.find((o) => o.metadata.name === 'shop-discovery')).toBeUndefined();
    const web = find(objects, 'ConfigMap', 'web-config').data;
    expect(web['env.API_URL']).toBe(addresses!.api!.url);
    expect(web).not.toHaveProperty('env.WEB_URL');
    const api = find(objects, 'Deployment', 'api').spec.template.spec.containers[0];
    expect(api.envFrom).toBeUndefined();
    expect(api.env).toContainEqual({
      name: 'WEB_HOST',
      valueFrom: { configMapKeyRef: { name: 'api-config', key: 'env.WEB_HOST' } },
    });
  });

  it('renders every object kind of the fixture (file snapshot, secrets masked)', async () => {
    const masked = renderManifests(fixtureInput({ secrets: 'masked' }).manifest);
    await expect(yamlOf(masked)).toMatchFileSnapshot('__snapshots__/shop-1.30.yaml');
    expect(masked.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Secret/api-secret',
      'Secret/db-secret',
      'ConfigMap/api-config',
      'ConfigMap/migrate-config',
      'ConfigMap/shop-discovery',
      'ConfigMap/web-config',
      'Service/agent',
      'Service/api',
      'Service/db',
      'Service/db-headless',
      'Service/web',
      'DaemonSet/agent',
      'Deployment/api',
      'Deployment/web',
      'StatefulSet/db',
      expect.stringMatching(/^Job\/migrate-[0-9a-f]{12}$/),
      'CronJob/report',
      'HorizontalPodAutoscaler/api',
      'PodDisruptionBudget/api',
      'PodDisruptionBudget/db',
      'Ingress/shop',
    ]);
    expect(yamlOf(masked)).not.toContain('s3cr3t');
  });

  it('renders for Kubernetes 1.29 with an exec preStop instead of the sleep action', async () => {
    const old = renderManifests(fixtureInput({ kubernetesVersion: '1.29', secrets: 'masked' }).manifest);
    await expect(yamlOf(old)).toMatchFileSnapshot('__snapshots__/shop-1.29.yaml');
    expect(find(old, 'Deployment', 'web').spec.template.spec.containers[0].lifecycle).toEqual({
      preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 5'] } },
    });
  });

  it('puts secret-derived values only in the Secret, base64 when applying', () => {
    const s = find(real, 'Secret', 'api-secret');
    expect(Object.keys(s.data)).toEqual(['env.DSN', 'file.keys_db.pass']);
    expect(Buffer.from(s.data['env.DSN'], 'base64').toString()).toBe(
      'postgres://app:s3cr3t@db.shop-prod.svc.cluster.local:5432/shop',
    );
    const cm = find(real, 'ConfigMap', 'api-config');
    expect(cm.data).toEqual({
      'env.GREETING': 'hello from us',
      'env.LOG_LEVEL': 'info',
      'file.app.conf': 'greeting=hello\n',
    });
    // Discovery variables are shared by every pod through one ConfigMap.
    expect(find(real, 'ConfigMap', 'shop-discovery').data).toMatchObject({
      DB_HOST: 'db.shop-prod.svc.cluster.local',
      DB_PORT: '5432',
      DB_URL: 'http://db.shop-prod.svc.cluster.local:5432',
      WEB_URL: 'http://web.shop-prod.svc.cluster.local:3000',
    });
    expect(find(real, 'ConfigMap', 'migrate-config').data).toEqual({ 'env.DB': 'db.shop-prod.svc.cluster.local' });
    const pod = find(real, 'Deployment', 'api').spec.template.spec;
    expect(pod.containers[0].envFrom).toEqual([{ configMapRef: { name: 'shop-discovery' } }]);
    expect(pod.containers[0].env).toContainEqual({
      name: 'DSN',
      valueFrom: { secretKeyRef: { name: 'api-secret', key: 'env.DSN' } },
    });
    expect(pod.containers[0].env).toContainEqual({ name: 'PORT', value: '8080' });
    expect(pod.volumes[0].projected.sources[1].secret.items).toEqual([
      { key: 'file.keys_db.pass', path: 'keys/db.pass', mode: 0o600 },
    ]);
  });

  it('maps probes, resources, rollout, grace period, autoscaling and the drain delay', () => {
    const api = find(real, 'Deployment', 'api');
    const c = api.spec.template.spec.containers[0];
    expect(api.spec.replicas).toBeUndefined();
    expect(api.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(api.spec.progressDeadlineSeconds).toBe(300);
    expect(c.readinessProbe).toEqual({
      httpGet: { path: '/healthz', port: 'http' },
      initialDelaySeconds: 0,
      periodSeconds: 2,
      timeoutSeconds: 1,
      failureThreshold: 3,
      successThreshold: 1,
    });
    expect(c.livenessProbe.initialDelaySeconds).toBe(10);
    expect(c.resources).toEqual({ requests: { cpu: '100m', memory: '128M' } });
    expect(c.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(find(real, 'StatefulSet', 'db').spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '1', memory: '1Gi' },
    });
    // 4 s of grace leaves 2 s to drain.
    expect(find(real, 'DaemonSet', 'agent').spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds).toBe(2);
    const hpa = find(real, 'HorizontalPodAutoscaler', 'api');
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.metrics.map((m: { type: string }) => m.type)).toEqual(['Resource', 'Pods']);
    expect(find(real, 'PodDisruptionBudget', 'web')).toBeUndefined();
  });

  it('labels every object with its app and annotates it with the revision and config version', () => {
    for (const o of real) {
      expect(o.metadata.labels?.[LABEL.partOf]).toBe('shop');
      expect(o.metadata.labels?.[LABEL.managedBy]).toBe('berth');
      expect(o.metadata.annotations?.[ANNOTATION.revision]).toBe('12');
      expect(o.metadata.annotations?.[ANNOTATION.configVersion]).toBe('7');
      expect(o.metadata.namespace).toBe('shop-prod');
    }
    expect(find(real, 'Deployment', 'api').metadata.labels[LABEL.version]).toBe('1.4.2');
  });

  it('changes the pod checksum when a config value changes, and only the secret digest when a secret does', () => {
    const checksum = (objs: KubernetesObject[]) =>
      find(objs, 'Deployment', 'api').spec.template.metadata.annotations[ANNOTATION.configChecksum];
    const base = checksum(real);
    const changed = renderManifests(
      fixtureInput({}, FIXTURE_TEXT.replace('LOG_LEVEL: info', 'LOG_LEVEL: debug')).manifest,
    );
    expect(checksum(changed)).not.toBe(base);
    const masked = renderManifests(fixtureInput({ secrets: 'masked' }).manifest);
    expect(checksum(masked)).toBe(base);
    expect(find(real, 'Deployment', 'web').spec.template.metadata.annotations[ANNOTATION.configChecksum]).toBe(
      find(changed, 'Deployment', 'web').spec.template.metadata.annotations[ANNOTATION.configChecksum],
    );
  });

  it('reports every service that cannot run on a cluster at once', () => {
    const text = FIXTURE_TEXT.replace('image: shop/web:1.0', 'command: node web.js').replace(
      'image: shop/agent:2',
      'command: agent',
    );
    let err: unknown;
    try {
      renderManifests(fixtureInput({}, text).manifest);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.path).sort()).toEqual([
      'services.agent.image',
      'services.web.image',
    ]);
  });
});

describe('validation against the Kubernetes OpenAPI schemas', () => {
  it('accepts every rendered object for every supported version', () => {
    for (const v of ['1.23', '1.29', '1.30', '1.33']) {
      const objs = renderManifests(fixtureInput({ kubernetesVersion: v }).manifest);
      expect(() => validateObjects(objs, v)).not.toThrow();
    }
  });

  it('rejects a wrongly typed field with its path', () => {
    const [dep] = renderManifests(fixtureInput().manifest).filter((o) => o.kind === 'Deployment');
    const bad = at(structuredClone(dep!), '');
    bad.spec.replicas = 'two';
    bad.spec.template.spec.containers[0].ports[0].containerPort = '8080';
    delete bad.spec.selector;
    expect(objectProblems(bad, 30)).toEqual([
      { file: 'Deployment/api', path: 'spec.selector', message: 'is required' },
      { file: 'Deployment/api', path: 'spec.replicas', message: 'must be integer' },
      {
        file: 'Deployment/api',
        path: 'spec.template.spec.containers.0.ports.0.containerPort',
        message: 'must be integer',
      },
    ]);
    expect(() => validateObjects([bad], '1.30')).toThrow(ValidationError);
  });

  it('reports a problem every time, also of an object that was valid before or for another version', () => {
    const objs = renderManifests(fixtureInput({ kubernetesVersion: '1.30' }).manifest);
    const web = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web')!;
    validateObjects(objs, '1.30');
    // Found valid for 1.30 (and remembered): still checked again for 1.29, which lacks preStop sleep.
    expect(() => validateObjects([web], '1.29')).toThrow(/1 problem/);
    expect(() => validateObjects([web], '1.29')).toThrow(/1 problem/);
    // The same object changed is a new object: checked, its problem reported, on every call.
    const bad = at(structuredClone(web), '');
    bad.spec.replicas = 'two';
    for (let i = 0; i < 2; i++)
      expect(() => validateObjects([...objs, bad], '1.30')).toThrow(
        expect.objectContaining({ problems: [expect.objectContaining({ path: 'spec.replicas' })] }),
      );
    expect(() => validateObjects(objs, '1.30')).not.toThrow();
  });

  it('does not check again an object that differs only in its release annotation values, but any other change', () => {
    const objs = renderManifests(fixtureInput({ kubernetesVersion: '1.30' }).manifest);
    validateObjects(objs, '1.30');
    const web = at(structuredClone(objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web')!), '');
    web.metadata.annotations[ANNOTATION.revision] = '99';
    web.spec.template.metadata.annotations[ANNOTATION.configChecksum] = 'another';
    expect(() => validateObjects([web], '1.30')).not.toThrow();
    // A value that is not a string is not a release annotation value: checked, and reported.
    web.metadata.annotations[ANNOTATION.hash] = 5;
    expect(() => validateObjects([web], '1.30')).toThrow(
      expect.objectContaining({ problems: [expect.objectContaining({ path: 'metadata.annotations.berth.dev/hash' })] }),
    );
  });

  it('remembers the verdicts of the objects a caller keeps them for, and checks the others every time', () => {
    const objs = renderManifests(fixtureInput({ kubernetesVersion: '1.30' }).manifest);
    forgetValidObjects();
    validateObjects(objs, '1.30', undefined, { remember: (i) => i < 2 });
    expect(heldVerdicts()).toBe(2);
    const bad = at(structuredClone(objs.find((o) => o.kind === 'Deployment')!), '');
    bad.spec.replicas = 'two';
    // Refused ones are checked every time: a problem is reported on every call.
    for (let i = 0; i < 2; i++)
      expect(() => validateObjects([bad], '1.30', undefined, { remember: () => false })).toThrow(ValidationError);
    expect(heldVerdicts()).toBe(2);
  });

  it('rejects what the chosen version does not serve', () => {
    const objs = renderManifests(fixtureInput({ kubernetesVersion: '1.30' }).manifest);
    const web = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web')!;
    expect(objectProblems(web, 29)).toEqual([
      {
        file: 'Deployment/web',
        path: 'spec.template.spec.containers.0.lifecycle.preStop.sleep',
        message: 'needs Kubernetes 1.30 or later',
      },
    ]);
    expect(
      objectProblems({ apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'x' } }, 30)[0],
    ).toMatchObject({
      path: 'apiVersion',
      message: 'policy/v1beta1 PodDisruptionBudget is not served by Kubernetes 1.30',
    });
    expect(() => renderManifests(fixtureInput({ kubernetesVersion: '1.19' }).manifest)).toThrow(
      expect.objectContaining({
        problems: [expect.objectContaining({ message: expect.stringMatching(/1\.23 to 1\.33/) })],
      }),
    );
  });
});

describe('kubernetesAddresses', () => {
  it('gives every service with a port its cluster DNS name', () => {
    const { spec } = parseSpec(FIXTURE_TEXT, '/x/berth.yaml');
    expect(kubernetesAddresses('shop', 'ns1', spec)).toEqual({
      agent: { host: 'agent.ns1.svc.cluster.local', port: 9100, url: 'http://agent.ns1.svc.cluster.local:9100' },
      // Every TCP port after the first has its own address (`API_METRICS_PORT`); an opaque one no URL.
      api: {
        host: 'api.ns1.svc.cluster.local',
        port: 8080,
        url: 'http://api.ns1.svc.cluster.local:8080',
        ports: [{ name: 'metrics', port: 9090, appProtocol: 'tcp' }],
      },
      db: { host: 'db.ns1.svc.cluster.local', port: 5432, url: 'http://db.ns1.svc.cluster.local:5432' },
      web: { host: 'web.ns1.svc.cluster.local', port: 3000, url: 'http://web.ns1.svc.cluster.local:3000' },
    });
  });
});

describe('renderManifestsOnce (a process that renders once)', () => {
  it('gives the objects and documents a ManifestMemo render gives, in the same order', () => {
    for (const secrets of ['masked', 'real'] as const) {
      const memo = new ManifestMemo().render(fixtureInput({ secrets }).manifest);
      const once = renderManifestsOnce(fixtureInput({ secrets }).manifest);
      expect(once.objects).toEqual(memo.objects);
      expect(once.documents.join('---\n')).toBe(memo.documents.join('---\n'));
    }
  });

  it('reports a schema problem at every render', () => {
    const bad = () => {
      const { manifest } = fixtureInput();
      // Replicas Kubernetes refuses (not an integer): the render passes them through to web's Deployment.
      const web = { ...manifest.services.web!, replicas: 'two' as unknown as number };
      return { ...manifest, services: { ...manifest.services, web } };
    };
    for (let i = 0; i < 2; i++) {
      expect(() => renderManifestsOnce(bad())).toThrow(
        expect.objectContaining({ problems: [expect.objectContaining({ path: 'spec.replicas' })] }),
      );
      expect(renderManifestsOnce(fixtureInput().manifest).objects.length).toBeGreaterThan(0);
    }
  });
});
