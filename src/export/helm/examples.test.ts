/**
 * Every example under examples/ exported as a Helm chart and run through the real `helm template`
 * gives the objects `berth render` gives for it: none missing (the track Services of a progressive
 * service), none extra, each equal but for the config checksum and a Job's digest (see comparable).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportHelmChart } from './chart.js';
import { helmBinary } from '../../../test/support/helmBinary.mjs';
import { comparable, helmTemplate, writeChart } from './helmTestKit.js';
import { loadSpec } from '../../spec/load.js';
import { resolveVariables } from '../../spec/variables.js';
import { kubernetesRelease } from '../kubernetesRelease.js';
import { renderManifests } from '../../runtime/kubernetes/manifests/render.js';

const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));
const examples = (await readdir(examplesDir)).filter((d) => existsSync(join(examplesDir, d, 'berth.yaml'))).sort();
const digestSecret = (s: string): string => createHmac('sha256', 'test').update(s).digest('hex');

let helm: string;
let dir: string;
beforeAll(async () => {
  helm = await helmBinary();
  dir = await mkdtemp(join(tmpdir(), 'berth-helm-examples-'));
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Helm export of every example', () => {
  it('finds the examples', () => {
    expect(examples).toEqual(expect.arrayContaining(['canary', 'shop']));
  });

  it.each(examples)('%s: helm template gives the objects of berth render', async (example) => {
    const loaded = await loadSpec(join(examplesDir, example, 'berth.yaml'));
    const input = {
      loaded,
      environment: { name: 'prod', defaults: {} },
      config: { version: 3, values: {}, files: {} },
      revision: 5,
      digestSecret,
    };
    const files = exportHelmChart({ ...input, options: { namespace: 'apps' } });
    const chart = await writeChart(files, dir, example);
    // Secrets are never exported: supplied at install time with the values berth render used.
    const resolved = resolveVariables(loaded.spec, { config: {}, environment: {} });
    const secrets = Object.entries(resolved).filter(([, v]) => v.secret);
    const fromHelm = await helmTemplate(helm, chart, {
      release: loaded.spec.name,
      namespace: 'apps',
      args: secrets.flatMap(([k, v]) => ['--set-string', `secrets.${k}=${v.value}`]),
    });
    const fromBerth = renderManifests(
      kubernetesRelease({ ...input, options: { namespace: 'apps', secrets: 'real' } }).manifest,
    );
    const ids = (objs: typeof fromBerth): string[] => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(ids(fromHelm).length).toBe(ids(fromBerth).length);
    expect(comparable(fromHelm)).toEqual(comparable(fromBerth));
  });
});
