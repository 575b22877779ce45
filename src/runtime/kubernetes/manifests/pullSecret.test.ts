/**
 * Issue 14 point 3 on clusters: a service's pull policy on its container, and berth.yaml `registries`
 * (ServiceState.registryAuth) as `kubernetes.io/dockerconfigjson` Secrets named in `imagePullSecrets`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../../model/observation.js';
import type { ServiceState } from '../../../model/serviceState.js';
import { startHarness, testState, type KubeHarness } from '../testing/harness.js';
import type { KubernetesObject, ManifestInput } from './contract.js';
import { pullSecretName } from './pullSecret.js';
import { renderManifests } from './render.js';
import { fixtureInput } from './testdata/fixture.js';
import { at } from './testdata/at.js';
import { objectsToYaml } from './toYaml.js';

const SPEC = `name: tools
services:
  api:
    image: ghcr.io/acme/api:1
    ports: [8080]
  worker:
    image: ghcr.io/acme/worker:1
    kind: job
  cache:
    image: 127.0.0.1:5000/cache:7
    stateful: true
    ports: [6379]
  plain:
    image: nginx:1.27
`;

const GHCR = { server: 'ghcr.io', username: 'ci-bot', password: 'ghp_Secret123' };
const LOCAL = { server: '127.0.0.1:5000', username: 'dev', password: 'hunter2-local' };

/** The fixture with registry credentials and pull policies as the engine renders them from berth.yaml. */
function input(secrets: 'real' | 'masked'): ManifestInput {
  const manifest = fixtureInput({ secrets }, SPEC).manifest;
  const s = manifest.services;
  s.api = { ...s.api!, registryAuth: GHCR, workload: { ...s.api!.workload, imagePullPolicy: 'Always' } };
  s.worker = { ...s.worker!, registryAuth: GHCR };
  s.cache = { ...s.cache!, registryAuth: LOCAL, workload: { ...s.cache!.workload, imagePullPolicy: 'IfNotPresent' } };
  return manifest;
}

const podSpec = (objects: KubernetesObject[], kind: string, prefix: string): Record<string, unknown> =>
  at(
    objects.find((x) => x.kind === kind && x.metadata.name.startsWith(prefix)),
    'spec.template.spec',
  ) as Record<string, unknown>;

const dockerConfig = (o: KubernetesObject): unknown =>
  JSON.parse(
    Buffer.from((o as unknown as { data: Record<string, string> }).data['.dockerconfigjson']!, 'base64').toString(),
  );

describe('image pull policy and registry credentials on Kubernetes', () => {
  it('renders one dockerconfigjson Secret per registry, named by the pods that pull from it, valid for the schemas', () => {
    const objects = renderManifests(input('real'));
    const secrets = objects.filter(
      (o) => o.kind === 'Secret' && (o as { type?: string }).type === 'kubernetes.io/dockerconfigjson',
    );
    expect(secrets.map((o) => o.metadata.name).sort()).toEqual(
      [pullSecretName('tools', 'ghcr.io'), pullSecretName('tools', '127.0.0.1:5000')].sort(),
    );
    expect(pullSecretName('tools', 'ghcr.io')).toMatch(/^tools-registry-ghcr-io-[0-9a-f]{6}$/);
    const ghcr = secrets.find((o) => o.metadata.name === pullSecretName('tools', 'ghcr.io'))!;
    expect(dockerConfig(ghcr)).toEqual({
      auths: {
        'ghcr.io': {
          username: 'ci-bot',
          password: 'ghp_Secret123',
          auth: Buffer.from('ci-bot:ghp_Secret123').toString('base64'),
        },
      },
    });
    expect(ghcr.metadata.labels?.['app.kubernetes.io/name']).toBeUndefined();

    const api = podSpec(objects, 'Deployment', 'api');
    expect(api.imagePullSecrets).toEqual([{ name: pullSecretName('tools', 'ghcr.io') }]);
    expect(at(api, 'containers.0').imagePullPolicy).toBe('Always');
    expect(podSpec(objects, 'Job', 'worker-').imagePullSecrets).toEqual([{ name: pullSecretName('tools', 'ghcr.io') }]);
    const cache = podSpec(objects, 'StatefulSet', 'cache');
    expect(cache.imagePullSecrets).toEqual([{ name: pullSecretName('tools', '127.0.0.1:5000') }]);
    expect(at(cache, 'containers.0').imagePullPolicy).toBe('IfNotPresent');
    // No credentials, no policy: neither field (the cluster's defaults apply).
    const plain = podSpec(objects, 'Deployment', 'plain');
    expect(plain).not.toHaveProperty('imagePullSecrets');
    expect(at(plain, 'containers.0')).not.toHaveProperty('imagePullPolicy');
  });

  it('masks the credentials when the objects are shown (berth render)', () => {
    const yaml = objectsToYaml(renderManifests(input('masked')));
    expect(yaml).toContain('".dockerconfigjson": "******"');
    expect(yaml).not.toContain('ghp_Secret123');
    expect(yaml).not.toContain('hunter2-local');
    expect(yaml).not.toContain(Buffer.from('ci-bot:ghp_Secret123').toString('base64'));
  });
});

describe('the Kubernetes runtime and registry credentials', () => {
  let h: KubeHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('applies the registry Secret once for the services sharing it, and their pods name it', async () => {
    h = await startHarness({ msPerDeadlineSecond: 100 });
    const rt = h.open();
    const o = { signal: AbortSignal.timeout(20_000), onEvent: (_e: RuntimeEvent) => undefined };
    const withAuth = (s: ServiceState): ServiceState => ({
      ...s,
      registryAuth: GHCR,
      workload: { ...s.workload, image: `ghcr.io/acme/${s.service}:1`, imagePullPolicy: 'Always' },
    });
    const a = withAuth(testState({ app: 'tools', env: 'prod', service: 'api', replicas: 1, hash: 'a1' }));
    const b = withAuth(testState({ app: 'tools', env: 'prod', service: 'web', replicas: 1, hash: 'b1' }));
    await Promise.all([rt.converge(a, o), rt.converge(b, o)]);
    const name = pullSecretName('tools', 'ghcr.io');
    const secret = h.server.get('v1', 'Secret', 'berth-test', name)!;
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(dockerConfig(secret as KubernetesObject)).toMatchObject({ auths: { 'ghcr.io': { username: 'ci-bot' } } });
    for (const svc of ['api', 'web']) {
      const d = h.server.get('apps/v1', 'Deployment', 'berth-test', svc)!;
      expect(at(d, 'spec.template.spec.imagePullSecrets')).toEqual([{ name }]);
      expect(at(d, 'spec.template.spec.containers.0.imagePullPolicy')).toBe('Always');
    }
    // Removing one service keeps the Secret the other pulls with; removing the app removes it.
    await rt.remove('tools', 'prod', 'web');
    expect(h.server.get('v1', 'Secret', 'berth-test', name)).toBeDefined();
    await rt.remove('tools', 'prod');
    expect(h.server.get('v1', 'Secret', 'berth-test', name)).toBeUndefined();
  });
});
