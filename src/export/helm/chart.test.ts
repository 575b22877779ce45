import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportHelmChart, type ChartFiles } from './chart.js';
import { helmBinary } from '../../../test/support/helmBinary.mjs';
import { comparable, helmTemplate, writeChart } from './helmTestKit.js';
import { parseSpec } from '../../spec/load.js';
import { renderManifests } from '../../runtime/kubernetes/manifests/render.js';
import { ANNOTATION, type KubernetesObject } from '../../runtime/kubernetes/manifests/contract.js';
import { at } from '../../runtime/kubernetes/manifests/testdata/at.js';
import { jobName } from '../../runtime/kubernetes/manifests/job.js';
import { devCertificate } from '../../runtime/local/devCa.js';
import {
  FIXTURE_FILE,
  FIXTURE_TEXT,
  fixtureInput,
  testDigest,
} from '../../runtime/kubernetes/manifests/testdata/fixture.js';

const run = promisify(execFile);
let helm: string;
let dir: string;

beforeAll(async () => {
  helm = await helmBinary();
  dir = await mkdtemp(join(tmpdir(), 'berth-helm-test-'));
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function chartOf(text = FIXTURE_TEXT): ChartFiles {
  return exportHelmChart({
    loaded: parseSpec(text, FIXTURE_FILE),
    environment: { name: 'prod', defaults: { REGION: 'us' } },
    config: { version: 7, values: { DB_PASSWORD: { value: 's3cr3t', secret: true } }, files: {} },
    revision: 12,
    digestSecret: testDigest,
    options: { namespace: 'shop-prod' },
  });
}

const write = (files: ChartFiles, name: string): Promise<string> => writeChart(files, dir, name);

const template = (chart: string, args: string[]): Promise<KubernetesObject[]> =>
  helmTemplate(helm, chart, { release: 'shop', namespace: 'shop-prod', args });

const checksumOf = (objs: KubernetesObject[], name: string): string =>
  at(
    objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name),
    'spec.template.metadata.annotations',
  )[ANNOTATION.configChecksum];

describe('Helm export', () => {
  it('passes the real helm lint, and helm template gives the same objects as berth render', async () => {
    const files = chartOf();
    expect(Object.values(files).join('\n')).not.toContain('s3cr3t');
    const chart = await write(files, 'shop');
    const lint = await run(helm, ['lint', chart, '--strict', '--set', 'secrets.DB_PASSWORD=x']);
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');

    const fromHelm = await template(chart, ['--set', 'secrets.DB_PASSWORD=s3cr3t']);
    const fromBerth = renderManifests(fixtureInput({ namespace: 'shop-prod' }).manifest);
    expect(fromHelm.length).toBe(fromBerth.length);
    expect(comparable(fromHelm)).toEqual(comparable(fromBerth));
  });

  it('requires the secrets at install time, or takes an existing Secret', async () => {
    const chart = await write(chartOf(), 'shop-secrets');
    await expect(template(chart, [])).rejects.toThrow(/secret DB_PASSWORD is required/);
    const objs = await template(chart, [
      '--set',
      'existingSecrets.api=api-creds',
      '--set',
      'existingSecrets.db=db-creds',
    ]);
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    const api = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api');
    expect(at(api, 'spec.template.spec.containers.0.env')).toContainEqual({
      name: 'DSN',
      valueFrom: { secretKeyRef: { name: 'api-creds', key: 'env.DSN' } },
    });
  });

  it('names a Job by its pod template, so a values change that changes the template makes a new Job', async () => {
    const chart = await write(chartOf(), 'shop-job');
    const jobOf = (objs: KubernetesObject[]): KubernetesObject =>
      objs.find((o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/name'] === 'migrate')!;
    const base = jobOf(await template(chart, ['--set', 'secrets.DB_PASSWORD=a']));
    const again = jobOf(await template(chart, ['--set', 'secrets.DB_PASSWORD=a']));
    const retagged = jobOf(await template(chart, ['--set', 'secrets.DB_PASSWORD=a', '--set', 'config.TAG=9.9.9']));
    expect(again.metadata.name).toBe(base.metadata.name);
    expect(base.metadata.name).toBe(jobName('migrate', at(base, 'spec.template')));
    expect(at(retagged, 'spec.template.spec.containers.0.image')).toBe('shop/api:9.9.9');
    expect(retagged.metadata.name).toMatch(/^migrate-[0-9a-f]{12}$/);
    expect(retagged.metadata.name).not.toBe(base.metadata.name);
    expect(retagged.metadata.name).toBe(jobName('migrate', at(retagged, 'spec.template')));
  });

  it('takes plain values from values.yaml, and a changed value rolls the pods', async () => {
    const files = chartOf();
    expect(files['values.yaml']).toContain('LOG_LEVEL: info');
    const chart = await write(files, 'shop-values');
    const base = await template(chart, ['--set', 'secrets.DB_PASSWORD=a']);
    const changed = await template(chart, ['--set', 'secrets.DB_PASSWORD=a', '--set', 'config.LOG_LEVEL=debug']);
    const cm = changed.find((o) => o.metadata.name === 'api-config');
    expect(at(cm, 'data')['env.LOG_LEVEL']).toBe('debug');
    expect(checksumOf(changed, 'api')).not.toBe(checksumOf(base, 'api'));
    expect(checksumOf(changed, 'web')).toBe(checksumOf(base, 'web'));
    // Another namespace moves the discovery addresses with it.
    const other = await template(chart, ['--set', 'secrets.DB_PASSWORD=a', '--namespace', 'elsewhere']);
    expect(
      at(
        other.find((o) => o.metadata.name === 'shop-discovery'),
        'data.DB_HOST',
      ),
    ).toBe('db.elsewhere.svc.cluster.local');
  });
});

describe('Helm export of an edge with certificate files', () => {
  it('leaves the PEMs out of the chart: helm template requires them as values and makes the TLS Secret of them', async () => {
    const certDir = await mkdtemp(join(tmpdir(), 'berth-helm-tls-'));
    const pem = await devCertificate(certDir, ['shop.example']);
    await writeFile(join(certDir, 'shop.crt'), pem.cert);
    await writeFile(join(certDir, 'shop.key'), pem.key);
    const text = [
      'name: shop',
      'services:',
      '  web: { image: registry.example/web, ports: [80] }',
      'routes:',
      '  - { host: shop.example, service: web }',
      'edge:',
      '  tls:',
      '    certificates:',
      '      - { hosts: [shop.example], cert: shop.crt, key: shop.key }',
    ].join('\n');
    const files = exportHelmChart({
      loaded: parseSpec(text, join(certDir, 'berth.yaml')),
      environment: { name: 'prod', defaults: {} },
      config: { version: 1, values: {}, files: {} },
      revision: 1,
      digestSecret: testDigest,
      options: { namespace: 'shop-prod' },
    });
    const all = Object.values(files).join('\n');
    expect(all).not.toContain('PRIVATE KEY');
    expect(all).not.toContain('******');
    expect(files['values.yaml']).toContain('--set-file edgeTls.NAME.crt=FILE');
    const chart = await write(files, 'shop-tls');
    await expect(template(chart, [])).rejects.toThrow(/edgeTls\.shop-tls\.crt/);
    const objs = await template(chart, [
      '--set-file',
      `edgeTls.shop-tls.crt=${join(certDir, 'shop.crt')}`,
      '--set-file',
      `edgeTls.shop-tls.key=${join(certDir, 'shop.key')}`,
    ]);
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata.name === 'shop-tls');
    expect(at(secret, 'type')).toBe('kubernetes.io/tls');
    expect(Buffer.from(at(secret, 'data')['tls.crt'] as string, 'base64').toString()).toBe(pem.cert);
    expect(Buffer.from(at(secret, 'data')['tls.key'] as string, 'base64').toString()).toBe(pem.key);
    const ingress = objs.find((o) => o.kind === 'Ingress');
    expect(at(ingress, 'spec.tls')).toEqual([{ hosts: ['shop.example'], secretName: 'shop-tls' }]);
    await rm(certDir, { recursive: true, force: true });
  });
});

describe('Helm export of registry credentials', () => {
  it('leaves them out of the chart: helm template requires the docker config as a value and the pods name its Secret', async () => {
    const text = [
      'name: shop',
      'variables:',
      '  REGISTRY_PASSWORD: { secret: true }',
      'registries:',
      '  registry.example.com: { username: ci, password: "${REGISTRY_PASSWORD}" }',
      'services:',
      '  web: { image: registry.example.com/shop/web:1, ports: [80] }',
    ].join('\n');
    const files = exportHelmChart({
      loaded: parseSpec(text, FIXTURE_FILE),
      environment: { name: 'prod', defaults: {} },
      config: { version: 1, values: { REGISTRY_PASSWORD: { value: 'pull-s3cret', secret: true } }, files: {} },
      revision: 1,
      digestSecret: testDigest,
      options: { namespace: 'shop-prod' },
    });
    const all = Object.values(files).join('\n');
    expect(all).not.toContain('pull-s3cret');
    expect(all).not.toContain('******');
    expect(files['values.yaml']).toContain('--set-file registryAuth.NAME=FILE');
    const chart = await write(files, 'shop-registry');
    await expect(template(chart, [])).rejects.toThrow(/registryAuth\.shop-registry-/);
    const dockerConfig = JSON.stringify({
      auths: { 'registry.example.com': { auth: Buffer.from('ci:pull-s3cret').toString('base64') } },
    });
    const configFile = join(dir, 'docker-config.json');
    await writeFile(configFile, dockerConfig);
    const secretName = /registryAuth\.NAME=FILE for NAME in (shop-registry-[a-z0-9-]+)/.exec(
      files['values.yaml']!,
    )?.[1];
    expect(secretName).toBeDefined();
    const objs = await template(chart, ['--set-file', `registryAuth.${secretName}=${configFile}`]);
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata.name === secretName);
    expect(at(secret, 'type')).toBe('kubernetes.io/dockerconfigjson');
    expect(Buffer.from(at(secret, 'data')['.dockerconfigjson'] as string, 'base64').toString()).toBe(dockerConfig);
    const web = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web');
    expect(at(web, 'spec.template.spec.imagePullSecrets')).toEqual([{ name: secretName }]);
  });
});
