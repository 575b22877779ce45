import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { exportHelmChart, type ChartFiles } from './chart.js';
import { helmBinary } from './helmBinary.js';
import { parseSpec } from '../../spec/load.js';
import { renderManifests } from '../../runtime/kubernetes/manifests/render.js';
import { ANNOTATION, type KubernetesObject } from '../../runtime/kubernetes/manifests/contract.js';
import { at } from '../../runtime/kubernetes/manifests/testdata/at.js';
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

async function write(files: ChartFiles, name: string): Promise<string> {
  const root = join(dir, name);
  for (const [p, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), content);
  }
  return root;
}

async function template(chart: string, args: string[]): Promise<KubernetesObject[]> {
  const { stdout } = await run(helm, ['template', 'shop', chart, '--namespace', 'shop-prod', ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

/** Objects by kind/name, without the checksum annotation (Berth's covers secret digests, Helm's the values). */
function comparable(objects: KubernetesObject[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of objects) {
    const copy = structuredClone(o);
    const ann = (at(copy, 'spec.template.metadata.annotations') ??
      at(copy, 'spec.jobTemplate.spec.template.metadata.annotations')) as Record<string, string> | undefined;
    if (ann) {
      expect(ann[ANNOTATION.configChecksum]).toMatch(/^[0-9a-f]{64}$/);
      ann[ANNOTATION.configChecksum] = 'checksum';
    }
    out[`${o.kind}/${o.metadata.name}`] = copy;
  }
  return out;
}

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
