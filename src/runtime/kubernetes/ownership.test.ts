/**
 * Two apps, and two environments of one app, in one namespace of the in-test API server: a name
 * another app's or environment's object holds is refused before anything is applied, with the owner
 * named; apps with distinct names live side by side, each selecting only its own pods.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../errors.js';
import type { Runtime } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';

const NS = 'berth-test';
const o = () => ({ signal: AbortSignal.timeout(20_000), onEvent: (_e: RuntimeEvent) => undefined });

describe('apps sharing a namespace', () => {
  let h: KubeHarness;
  let rt: Runtime;
  beforeEach(async () => {
    h = await startHarness();
    rt = h.open();
  });
  afterEach(async () => {
    await h.close();
  });

  const patchesSince = (i: number) => h.server.requests.slice(i).filter((r) => r.method === 'PATCH');

  it("refuses a second app's `web` before anything is applied, naming the owner", async () => {
    await rt.addresses('blog', 'prod', [{ name: 'web', port: 80 }]);
    await rt.converge(testState({ app: 'blog', env: 'prod', service: 'web', replicas: 1, hash: 'a1' }), o());
    const before = h.server.requests.length;

    // The release's first step (its addresses) refuses it, as does a converge of the service itself.
    const refused = rt.addresses('shop', 'prod', [
      { name: 'db', port: 5432 },
      { name: 'web', port: 80 },
    ]);
    await expect(refused).rejects.toThrow(ConflictError);
    await expect(refused).rejects.toThrow(
      /shop cannot deploy to namespace berth-test \(environment prod\): .*Deployment\/web.* belong to app blog \(environment prod\)\. Nothing was applied/,
    );
    const converge = rt.converge(testState({ app: 'shop', env: 'prod', service: 'web', replicas: 1, hash: 'b1' }), o());
    await expect(converge).rejects.toThrow(/Service\/web.* to app blog \(environment prod\)/);
    expect(patchesSince(before)).toEqual([]);
    const web = h.server.get('apps/v1', 'Deployment', NS, 'web')!;
    expect(web.metadata.labels).toMatchObject({
      'app.kubernetes.io/part-of': 'blog',
      'app.kubernetes.io/instance': 'blog-prod',
    });
  });

  it('refuses a second environment of the same app in the namespace', async () => {
    await rt.converge(testState({ app: 'shop', env: 'prod', service: 'web', replicas: 1, hash: 'a1' }), o());
    await expect(rt.addresses('shop', 'staging', [{ name: 'web', port: 80 }])).rejects.toThrow(
      /belong to app shop \(environment prod\)/,
    );
  });

  it('lets apps with distinct service names share the namespace, each selecting only its own pods', async () => {
    await rt.converge(testState({ app: 'blog', env: 'prod', service: 'web', replicas: 1, hash: 'a1' }), o());
    await rt.addresses('shop', 'prod', [{ name: 'api', port: 80 }]);
    await rt.converge(testState({ app: 'shop', env: 'prod', service: 'api', replicas: 2, hash: 'a1' }), o());
    // A release of blog again: shop's objects are no collision, and blog's prune leaves them alone.
    await rt.converge(
      testState({ app: 'blog', env: 'prod', service: 'web', replicas: 1, hash: 'b2', revision: 2 }),
      o(),
    );
    const selector = (name: string) =>
      (h.server.get('apps/v1', 'Deployment', NS, name)!.spec as { selector: { matchLabels: Record<string, string> } })
        .selector.matchLabels;
    expect(selector('web')).toEqual({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'blog-prod' });
    expect(selector('api')).toEqual({ 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'shop-prod' });
    const pods = h.server.list('v1', 'Pod', NS, 'app.kubernetes.io/instance=shop-prod');
    expect(pods.map((p) => p.metadata.labels?.['app.kubernetes.io/name'])).toEqual(['api', 'api']);
    expect(h.server.get('apps/v1', 'Deployment', NS, 'api')).toBeDefined();
  });
});
