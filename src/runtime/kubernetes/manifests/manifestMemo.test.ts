import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../../spec/load.js';
import { kubernetesRelease } from '../../../export/kubernetesRelease.js';
import { ServiceRenderMemo } from '../../../release/serviceMemo.js';
import type { KubernetesObject, ManifestOptions } from './contract.js';
import { appObjectsIn, manifestScope, renderManifests } from './render.js';
import { objectsToYaml } from './toYaml.js';
import { ManifestMemo } from './manifestMemo.js';
import { forgetValidObjects, heldVerdicts } from './validate.js';
import { FIXTURE_FILE, FIXTURE_TEXT, testDigest } from './testdata/fixture.js';

interface Variant {
  text?: string;
  values?: Record<string, string>;
  version?: number;
  revision?: number;
  options?: Partial<ManifestOptions>;
}

/** The fixture's release for a variant, with or without the per-service release memo. */
function release(v: Variant, memo?: ServiceRenderMemo) {
  return kubernetesRelease({
    loaded: parseSpec(v.text ?? FIXTURE_TEXT, FIXTURE_FILE),
    environment: { name: 'prod', defaults: { REGION: 'us' } },
    config: {
      version: v.version ?? 7,
      values: {
        DB_PASSWORD: { value: 's3cr3t', secret: true },
        ...Object.fromEntries(Object.entries(v.values ?? {}).map(([k, value]) => [k, { value, secret: false }])),
      },
      files: {},
    },
    revision: v.revision ?? 12,
    digestSecret: testDigest,
    options: { namespace: 'shop-prod', secrets: 'masked', ...v.options },
    ...(memo ? { memo } : {}),
  }).manifest;
}

describe('ManifestMemo', () => {
  it('renders the same objects and YAML as renderManifests, through every kind of change', () => {
    const memo = new ServiceRenderMemo();
    const manifests = new ManifestMemo();
    const variants: Variant[] = [
      {},
      {},
      { values: { GREETING: 'hey' } },
      { version: 8 },
      { revision: 13 },
      { options: { namespace: 'other' } },
      { options: { kubernetesVersion: '1.27' } },
      { options: { ingressClassName: 'nginx' } },
      { options: { secrets: 'real' } },
      { text: FIXTURE_TEXT.replace('shop/web:1.0', 'shop/web:1.1') },
      { text: FIXTURE_TEXT.replace('replicas: 2\n', 'replicas: 4\n') },
      { text: FIXTURE_TEXT.replace('  - { path: /, service: web }\n', '') },
      {},
    ];
    for (const v of variants) {
      const plain = renderManifests(release(v));
      const got = manifests.render(release(v, memo));
      expect(got.objects, JSON.stringify(v)).toEqual(plain);
      expect(got.documents.join('---\n'), JSON.stringify(v)).toBe(objectsToYaml(plain));
    }
  });

  it('gives back the objects of services that did not change, and builds the changed one again', () => {
    const memo = new ServiceRenderMemo();
    const manifests = new ManifestMemo();
    const first = manifests.render(release({}, memo));
    const second = manifests.render(release({ text: FIXTURE_TEXT.replace('shop/web:1.0', 'shop/web:1.1') }, memo));
    const byName = (r: { objects: { kind: string; metadata: { name: string } }[] }, kind: string, name: string) =>
      r.objects.find((o) => o.kind === kind && o.metadata.name === name);
    expect(byName(second, 'Deployment', 'api')).toBe(byName(first, 'Deployment', 'api'));
    expect(byName(second, 'StatefulSet', 'db')).toBe(byName(first, 'StatefulSet', 'db'));
    expect(byName(second, 'Deployment', 'web')).not.toBe(byName(first, 'Deployment', 'web'));
    expect(second.documents.join('---\n')).toContain('image: shop/web:1.1');
  });

  it('restamps the objects of services a new config version or revision does not change, and builds the rest', () => {
    const memo = new ServiceRenderMemo();
    const manifests = new ManifestMemo();
    const byName = (r: { objects: KubernetesObject[] }, kind: string, name: string) =>
      r.objects.find((o) => o.kind === kind && o.metadata.name === name)!;
    const first = manifests.render(release({}, memo));
    // Version 8 and revision 13 with a GREETING that api reads: api is built, the others restamped.
    const v: Variant = { version: 8, revision: 13, values: { GREETING: 'hey' } };
    const second = manifests.render(release(v, memo));
    const plain = renderManifests(release(v));
    expect(second.objects).toEqual(plain);
    expect(second.documents.join('---\n')).toBe(objectsToYaml(plain));
    const web = byName(second, 'Deployment', 'web');
    expect(web.spec).toBe(byName(first, 'Deployment', 'web').spec);
    expect(web.metadata.annotations).toMatchObject({ 'berth.dev/revision': '13', 'berth.dev/config-version': '8' });
    expect(byName(second, 'StatefulSet', 'db').spec).toBe(byName(first, 'StatefulSet', 'db').spec);
    expect(byName(second, 'Deployment', 'api').spec).not.toBe(byName(first, 'Deployment', 'api').spec);
    // Back to the first version: restamped again, the same text as a fresh render.
    expect(manifests.render(release({}, memo)).documents).toEqual(first.documents);
  });

  it('keeps the verdicts of its services’ objects itself: the shared ones only of the app’s objects', () => {
    const manifests = new ManifestMemo();
    forgetValidObjects();
    const manifest = release({});
    const got = manifests.render(manifest);
    const apps = appObjectsIn(manifestScope(manifest)).length;
    expect(apps).toBeGreaterThan(0);
    expect(got.objects.length).toBeGreaterThan(apps);
    expect(heldVerdicts()).toBe(apps);
  });

  it('holds no more YAML than its bound, forgetting the least recently used services first', () => {
    const memo = new ServiceRenderMemo();
    const manifests = new ManifestMemo(20_000);
    for (let i = 0; i < 6; i++) {
      const v: Variant = { text: FIXTURE_TEXT.replace('shop/web:1.0', `shop/web:1.${i}`) };
      const got = manifests.render(release(v, memo));
      expect(got.documents.join('---\n')).toBe(objectsToYaml(renderManifests(release(v))));
      expect(manifests.heldChars).toBeLessThanOrEqual(20_000);
    }
  });

  it('reports a render problem every time, never remembering the service that has it', () => {
    const memo = new ServiceRenderMemo();
    const manifests = new ManifestMemo();
    const text = FIXTURE_TEXT.replace('    image: shop/web:1.0\n', '    command: node web.js\n');
    for (let i = 0; i < 2; i++)
      expect(() => manifests.render(release({ text }, memo))).toThrow(
        expect.objectContaining({
          problems: [expect.objectContaining({ path: 'services.web.image' })],
        }),
      );
  });
});
