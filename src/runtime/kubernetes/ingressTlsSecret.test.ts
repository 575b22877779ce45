import { writeFileSync } from 'node:fs';
import { createHash, createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubernetesRelease } from '../../export/kubernetesRelease.js';
import { parseSpec } from '../../spec/load.js';
import { tempHome } from '../../gateway/testing.js';
import { devCertificate } from '../local/devCa.js';
import type { RuntimeEvent } from '../../model/observation.js';
import { objectsToYaml } from './manifests/toYaml.js';
import { renderManifests } from './manifests/render.js';
import type { ManifestOptions } from './manifests/contract.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';

const NS = 'berth-test';
const spec = (tls: string): string =>
  [
    'name: shop',
    'services:',
    '  web:',
    '    image: registry.example/web',
    '    ports: [80]',
    'routes:',
    '  - { host: shop.example, service: web }',
    '  - { host: api.shop.example, service: web }',
    'edge:',
    '  tls:',
    tls,
  ].join('\n');
const FILES =
  '    certificates:\n      - { hosts: [shop.example], cert: shop.crt, key: shop.key }\n      - { hosts: ["*.shop.example"], cert: wild.crt, key: wild.key }';

describe('edge.tls certificates from files on Kubernetes', () => {
  let home: { dir: string; remove(): Promise<void> };
  let pem: { shop: { cert: string; key: string }; wild: { cert: string; key: string } };
  let h: KubeHarness | undefined;
  beforeEach(async () => {
    home = await tempHome();
    pem = {
      shop: await devCertificate(home.dir, ['shop.example']),
      wild: await devCertificate(home.dir, ['*.shop.example']),
    };
    for (const [name, p] of Object.entries(pem)) {
      writeFileSync(join(home.dir, `${name}.crt`), p.cert);
      writeFileSync(join(home.dir, `${name}.key`), p.key);
    }
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await home.remove();
  });

  const release = (tls: string, secrets: ManifestOptions['secrets']) =>
    kubernetesRelease({
      loaded: parseSpec(spec(tls), join(home.dir, 'berth.yaml')),
      environment: { name: 'prod', defaults: {} },
      config: { version: 1, values: {}, files: {} },
      revision: 3,
      digestSecret: (s) => createHmac('sha256', 'k').update(s).digest('hex'),
      options: { namespace: NS, secrets },
    });

  it('render a kubernetes.io/tls Secret per certificate that the Ingress names; masked when shown, never in the release', async () => {
    const real = renderManifests(release(FILES, 'real').manifest);
    const secrets = real.filter((o) => o.kind === 'Secret');
    expect(secrets.map((s) => [s.metadata.name, s.type])).toEqual([
      ['shop-tls', 'kubernetes.io/tls'],
      ['shop-tls-2', 'kubernetes.io/tls'],
    ]);
    const data = secrets[0]!.data as Record<string, string>;
    expect(Buffer.from(data['tls.crt']!, 'base64').toString()).toBe(pem.shop.cert);
    expect(Buffer.from(data['tls.key']!, 'base64').toString()).toBe(pem.shop.key);
    const ing = real.find((o) => o.kind === 'Ingress')!;
    expect((ing.spec as { tls: unknown }).tls).toEqual([
      { hosts: ['shop.example'], secretName: 'shop-tls' },
      { hosts: ['*.shop.example'], secretName: 'shop-tls-2' },
    ]);

    const shown = release(FILES, 'masked');
    const yaml = await objectsToYaml(renderManifests(shown.manifest).filter((o) => o.kind === 'Secret'));
    expect(yaml).toMatch(/tls\.crt: "?'?\*{6}/);
    expect(yaml).not.toContain('PRIVATE KEY');
    // The release keeps the certificate's digest and the key masked.
    const stored = JSON.stringify(shown.result.rendered);
    expect(stored).not.toContain('PRIVATE KEY');
    expect(stored).not.toContain('BEGIN CERTIFICATE');
    expect(shown.result.rendered.edge?.ingressTls?.secrets?.[0]).toEqual({
      name: 'shop-tls',
      hosts: ['shop.example'],
      cert: `sha256:${createHash('sha256').update(pem.shop.cert).digest('hex')}`,
      key: '******',
    });
  });

  it('berth.yaml: certificates alone are a valid edge.tls for Kubernetes; a bad Secret name is named with its line', () => {
    expect(parseSpec(spec(FILES), join(home.dir, 'berth.yaml')).spec.edge?.tls?.kubernetes).toBeUndefined();
    let err: unknown;
    try {
      parseSpec(spec(`${FILES}\n    kubernetes: { secretName: Shop_TLS }`), join(home.dir, 'berth.yaml'));
    } catch (e) {
      err = e;
    }
    expect(JSON.stringify(err)).toMatch(
      /"line":14.*"path":"edge\.tls\.kubernetes\.secretName".*must be a Kubernetes Secret name/,
    );
  });

  it('makes no Secret when edge.tls.kubernetes names one (yours, or the one cert-manager fills), and names a missing file', () => {
    const given = renderManifests(
      release(`${FILES}\n    kubernetes: { secretName: mine, clusterIssuer: letsencrypt }`, 'real').manifest,
    );
    expect(given.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect((given.find((o) => o.kind === 'Ingress')!.spec as { tls: unknown }).tls).toEqual([
      { hosts: ['api.shop.example', 'shop.example'], secretName: 'mine' },
    ]);
    expect(() =>
      release('    certificates: [{ hosts: [shop.example], cert: gone.crt, key: shop.key }]', 'real'),
    ).toThrow(/edge TLS of shop cannot be set up/);
    try {
      release('    certificates: [{ hosts: [shop.example], cert: gone.crt, key: shop.key }]', 'real');
    } catch (err) {
      expect(JSON.stringify(err)).toMatch(/edge\.tls\.certificates\.0\.cert.*cannot read gone\.crt: ENOENT/);
    }
  });

  it('applies the Secret through the API server with the Ingress that names it', async () => {
    h = await startHarness({ msPerDeadlineSecond: 100 });
    const o = { signal: AbortSignal.timeout(20_000), onEvent: (_e: RuntimeEvent) => undefined };
    const { result } = release(FILES, 'real');
    const web = testState({ app: 'shop', env: 'prod', service: 'web', replicas: 1, hash: 'a1', port: 80 });
    web.workload.env.TOKEN = 's3cret';
    const rt = h.open({ namespace: NS, describeService: async () => ({ secretDigests: { 'env.TOKEN': 'd' } }) });
    await rt.converge(web, o);
    await rt.applyRoutes({ app: 'shop', env: 'prod', routes: result.rendered.routes, edge: result.edge! }, o);
    const secret = h.server.get('v1', 'Secret', NS, 'shop-tls-2')!;
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Buffer.from((secret.data as Record<string, string>)['tls.key']!, 'base64').toString()).toBe(pem.wild.key);
    const ing = h.server.get('networking.k8s.io/v1', 'Ingress', NS, 'shop')!;
    expect((ing.spec as { tls: unknown }).tls).toEqual([
      { hosts: ['shop.example'], secretName: 'shop-tls' },
      { hosts: ['*.shop.example'], secretName: 'shop-tls-2' },
    ]);
    // One certificate left: its Secret stays, the other goes; then a Secret of the user's instead.
    const one = release('    certificates: [{ hosts: [shop.example], cert: shop.crt, key: shop.key }]', 'real');
    await rt.applyRoutes({ app: 'shop', env: 'prod', routes: one.result.rendered.routes, edge: one.result.edge! }, o);
    const secrets = (): string[] => h!.server.list('v1', 'Secret', NS).map((x) => x.metadata.name);
    expect(secrets()).toEqual(['shop-tls', 'web-secret']);
    const mine = release(`${FILES}\n    kubernetes: { secretName: mine }`, 'real');
    await rt.applyRoutes({ app: 'shop', env: 'prod', routes: mine.result.rendered.routes, edge: mine.result.edge! }, o);
    // The service's own Secret is not the edge's.
    expect(secrets()).toEqual(['web-secret']);
  });
});
