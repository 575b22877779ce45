/**
 * The same berth.yaml on a cluster: the real control plane deploys the example shop to a Kubernetes
 * environment (an in-test API server that speaks the parts of the Kubernetes API Berth uses),
 * through server-side apply, watches the rollout, and reports status from the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, copyExample, startBerth, waitFor, writeApp, type Berth } from './harness.js';
import { startFakeApiServer, type FakeApiServer } from '../../src/runtime/kubernetes/testing/fakeApiServer.js';

interface Status {
  services: { service: string; readyReplicas: number; desiredReplicas: number; address?: { url: string } }[];
}

let api: FakeApiServer;
let berth: Berth;

beforeAll(async () => {
  api = await startFakeApiServer({ podReadyDelayMs: 50 });
  const kubeconfig = join(await mkdtemp(join(tmpdir(), 'berth-kube-')), 'kubeconfig');
  await api.writeKubeconfig(kubeconfig, { context: 'fake' });
  berth = await startBerth({ env: { KUBECONFIG: kubeconfig } });
});
afterAll(async () => {
  await berth?.teardown();
  await api?.close();
});

describe('deploying to a Kubernetes environment', () => {
  it('applies the release to the cluster and reads its status back', async () => {
    const env = await berth.cli([
      'env',
      'create',
      'prod',
      '--kubernetes',
      '--context',
      'fake',
      '--namespace',
      'shop-prod',
    ]);
    expect(env.code, env.stderr).toBe(0);
    const r = await berth.cli(['deploy', join(ROOT, 'examples/shop'), '--env', 'prod']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('revision 1 is live');

    const deployments = api
      .list('apps/v1', 'Deployment', 'shop-prod')
      .map((d) => d.metadata.name)
      .sort();
    expect(deployments).toEqual(['inventory', 'orders', 'web']);
    const applies = api.requests.filter((q) => q.method === 'PATCH');
    expect(applies.length).toBeGreaterThan(0);
    expect(
      applies.every((q) => q.contentType === 'application/apply-patch+yaml' && q.query.fieldManager === 'berth'),
    ).toBe(true);
    expect(api.list('networking.k8s.io/v1', 'Ingress', 'shop-prod')).toHaveLength(1);

    // discovery addresses point at the Services' DNS names and declared ports from the first deploy on
    const configMaps = JSON.stringify(api.list('v1', 'ConfigMap', 'shop-prod'));
    expect(configMaps).toContain('http://orders.shop-prod.svc.cluster.local:8080');
    expect(configMaps).not.toMatch(/svc\.cluster\.local:80"/);

    const st = await berth.json<Status>(['status', 'shop', '--env', 'prod']);
    expect(st.services.map((s) => `${s.service} ${s.readyReplicas}/${s.desiredReplicas}`)).toEqual([
      'inventory 1/1',
      'orders 2/2',
      'web 1/1',
    ]);
  });

  it('follows the pods’ logs into the log index: one search finds what two pods printed', async () => {
    const pods = api.list('v1', 'Pod', 'shop-prod').map((p) => p.metadata.name);
    const web = pods.find((p) => p.startsWith('web-'))!;
    const orders = pods.find((p) => p.startsWith('orders-'))!;
    api.controllers.appendLog('shop-prod', web, 'info buy apple: 201 trade T-5150');
    api.controllers.appendLog('shop-prod', orders, 'info order 1: apple trade T-5150');
    const found = await waitFor('both lines in the index', async () => {
      const r = await berth.json<{ lines: { service: string; replica: string; line: string }[] }>([
        'logs',
        'shop',
        '--env',
        'prod',
        '--grep',
        'T-5150',
        '-o',
        'json',
      ]);
      return r.lines.length >= 2 ? r.lines : undefined;
    });
    expect(found.map((l) => `${l.service} ${l.replica}`).sort()).toEqual([`orders ${orders}`, `web ${web}`]);
  });

  it('keeps secrets out of ConfigMaps and in a Secret', async () => {
    expect(
      (await berth.cli(['config', 'set', 'SESSION_SECRET=k8s-secret-77', '--secret', '--app', 'shop', '--env', 'prod']))
        .code,
    ).toBe(0);
    expect((await berth.cli(['deploy', join(ROOT, 'examples/shop'), '--env', 'prod'])).code).toBe(0);
    const configMaps = JSON.stringify(api.list('v1', 'ConfigMap', 'shop-prod'));
    expect(configMaps).not.toContain('k8s-secret-77');
    const secrets = api.list('v1', 'Secret', 'shop-prod');
    const data = JSON.stringify(
      secrets.map(
        (s) => (s as { data?: unknown; stringData?: unknown }).data ?? (s as { stringData?: unknown }).stringData,
      ),
    );
    expect(data.includes('k8s-secret-77') || data.includes(Buffer.from('k8s-secret-77').toString('base64'))).toBe(true);
  });

  it('applies the very objects `berth render` shows: the shared discovery ConfigMap included', async () => {
    interface Obj {
      apiVersion: string;
      kind: string;
      metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: unknown;
      data?: Record<string, string>;
    }
    const rendered = await berth.json<Obj[]>(['render', join(ROOT, 'examples/shop'), '--env', 'prod']);
    // The render is of the next revision, with secrets masked; and the Ingress, app-wide and applied
    // by every release that changes routes, goes to the cluster without the release annotations
    // (edge.ts, stripRelease). Those are the only differences.
    const comparable = (o: Obj) => {
      const { [`berth.dev/revision`]: _revision, ...all } = o.metadata.annotations ?? {};
      const { [`berth.dev/config-version`]: _config, ...edge } = all;
      const annotations = o.kind === 'Ingress' ? edge : all;
      return {
        id: `${o.kind}/${o.metadata.name}`,
        labels: o.metadata.labels,
        annotations,
        spec: o.spec,
        data: o.kind === 'Secret' ? undefined : o.data,
      };
    };
    const live = rendered.map((r) => {
      const o = api.list(r.apiVersion, r.kind, 'shop-prod').find((x) => x.metadata.name === r.metadata.name);
      expect(o, `${r.kind}/${r.metadata.name} on the cluster`).toBeDefined();
      return comparable(o as unknown as Obj);
    });
    // The API server adds its defaults (revisionHistoryLimit, imagePullPolicy, ...): every rendered field is there.
    expect(live).toMatchObject(rendered.map(comparable));
    // Applied once per release (two so far), not once per service.
    const sharedApplies = api.requests.filter(
      (q) => q.method === 'PATCH' && q.path === '/api/v1/namespaces/shop-prod/configmaps/shop-discovery',
    );
    expect(sharedApplies).toHaveLength(2);
    const discovery = rendered.find((o) => o.metadata.name === 'shop-discovery');
    expect(discovery?.data?.ORDERS_URL).toBe('http://orders.shop-prod.svc.cluster.local:8080');
    // Each service's own ConfigMap holds its own values only; the pods read the shared one.
    const own = api
      .list('v1', 'ConfigMap', 'shop-prod')
      .find((x) => x.metadata.name === 'web-config') as unknown as Obj;
    expect(Object.keys(own.data ?? {}).some((k) => k.endsWith('_URL') && k.includes('ORDERS'))).toBe(false);
    // `berth down` removes it with the rest of the app.
    expect((await berth.cli(['down', 'shop', '--env', 'prod'])).code).toBe(0);
    expect(api.list('v1', 'ConfigMap', 'shop-prod').map((x) => x.metadata.name)).toEqual([]);
  });

  it('drives a canary through the cluster: a canary Deployment and HTTPRoute weights, step by step', async () => {
    const dir = await copyExample('canary');
    const spec = await readFile(join(dir, 'berth.yaml'), 'utf8');
    await writeFile(
      join(dir, 'berth.yaml'),
      spec.replace(
        / {4}strategy:\n(?: {6}.*\n)+/,
        '    strategy:\n      type: canary\n      steps: [{ weight: 20 }, { pause: 1s }, { weight: 50 }, { pause: 1s }]\n      analysis: false\n',
      ),
    );
    const env = await berth.cli([
      'env',
      'create',
      'cprod',
      '--kubernetes',
      '--context',
      'fake',
      '--namespace',
      'canary-prod',
    ]);
    expect(env.code, env.stderr).toBe(0);
    expect((await berth.cli(['deploy', dir, '--env', 'cprod'])).code).toBe(0);
    const route = () =>
      api.list('gateway.networking.k8s.io/v1', 'HTTPRoute', 'canary-prod')[0] as unknown as {
        spec: { rules: { backendRefs: { name: string; weight: number }[] }[] };
      };
    const canaryWeight = (): number | undefined =>
      route()
        ?.spec.rules.at(-1)
        ?.backendRefs.find((b) => b.name === 'api-canary')?.weight;
    expect(canaryWeight()).toBe(0);

    expect((await berth.cli(['config', 'set', 'VERSION=2', '--app', 'canary-demo', '--env', 'cprod'])).code).toBe(0);
    const seen = new Set<number>();
    let canaryDeployment = false;
    let done = false;
    const watch = (async () => {
      while (!done) {
        const w = canaryWeight();
        if (w !== undefined) seen.add(w);
        if (api.list('apps/v1', 'Deployment', 'canary-prod').some((d) => d.metadata.name === 'api-canary'))
          canaryDeployment = true;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const deploy = await berth.cli(['deploy', dir, '--env', 'cprod']);
    done = true;
    await watch;
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(canaryDeployment).toBe(true);
    expect([...seen]).toEqual(expect.arrayContaining([0, 20, 50, 100]));
    // Finalized: the stable Deployment runs the new version, the canary is gone, all traffic on stable.
    expect(api.list('apps/v1', 'Deployment', 'canary-prod').map((d) => d.metadata.name)).toEqual(['api']);
    expect(canaryWeight()).toBe(0);
    const stable = JSON.stringify(api.list('apps/v1', 'Deployment', 'canary-prod')[0]);
    expect(stable).toContain('"VERSION"');
  });

  it('refuses a deploy whose objects the Kubernetes schemas refuse, at the berth.yaml line, before any change', async () => {
    const env = await berth.cli(['env', 'create', 'kbad', '--kubernetes', '--context', 'fake', '--namespace', 'kbad']);
    expect(env.code, env.stderr).toBe(0);
    const dir = await writeApp('big', {
      'berth.yaml': [
        'name: big',
        'services:',
        '  web:',
        '    image: nginx',
        '    ports: [8080]',
        '    replicas: 3000000000',
      ],
    });
    const r = await berth.cli(['deploy', dir, '--env', 'kbad']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${join(dir, 'berth.yaml')}:6:15 services.web.replicas: Kubernetes Deployment/web spec.replicas: must match format "int32"`,
    );
    // Refused before a revision was made or anything was applied.
    expect(api.list('apps/v1', 'Deployment', 'kbad')).toEqual([]);
    const history = await berth.cli(['history', 'big', '--env', 'kbad']);
    expect(history.stdout).not.toMatch(/deploy/);
  });

  /** The canary example in a new Kubernetes environment, deployed once, with `analysis` for its canary. */
  async function canaryOnCluster(name: string, analysis: string): Promise<string> {
    const dir = await copyExample('canary');
    const spec = await readFile(join(dir, 'berth.yaml'), 'utf8');
    await writeFile(
      join(dir, 'berth.yaml'),
      spec.replace(
        / {4}strategy:\n(?: {6}.*\n)+/,
        `    strategy:\n      type: canary\n      steps: [{ weight: 20 }]\n      analysis: ${analysis}\n`,
      ),
    );
    const env = await berth.cli(['env', 'create', name, '--kubernetes', '--context', 'fake', '--namespace', name]);
    expect(env.code, env.stderr).toBe(0);
    const first = await berth.cli(['deploy', dir, '--env', name]);
    expect(first.code, first.stderr).toBe(0);
    expect((await berth.cli(['config', 'set', 'VERSION=2', '--app', 'canary-demo', '--env', name])).code).toBe(0);
    return dir;
  }
  const deployments = (ns: string): string[] =>
    api
      .list('apps/v1', 'Deployment', ns)
      .map((d) => d.metadata.name)
      .sort();

  it('never promotes a canary the cluster cannot measure: with onNoData: wait the step waits for promote', async () => {
    const dir = await canaryOnCluster('kwait', '{ interval: 200ms }');
    const deploy = berth.cli(['deploy', dir, '--env', 'kwait']);
    const waiting = /canary step 1\/2: waiting: the kubernetes runtime measures no per-track traffic/;
    const status = async (): Promise<string> => (await berth.cli(['status', 'canary-demo', '--env', 'kwait'])).stdout;
    await waitFor('the first step waiting', async () => waiting.test(await status()));
    // Far longer than the step and its checks take: still waiting, nothing promoted.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await status()).toMatch(waiting);
    expect(deployments('kwait')).toEqual(['api', 'api-canary']);
    const history = await berth.json<
      { status: string; steps: { progress?: { checks?: { verdict: string; message: string }[] } }[] }[]
    >(['history', 'canary-demo', '--env', 'kwait']);
    expect(history[0]!.status).toBe('running');
    expect(history[0]!.steps[0]!.progress!.checks!.at(-1)).toMatchObject({
      verdict: 'inconclusive',
      message: 'the kubernetes runtime measures no per-track traffic: no verdict',
    });

    // promote ends each step's wait, as after looking at the numbers elsewhere.
    expect((await berth.cli(['promote', 'canary-demo/api', '--env', 'kwait'])).code).toBe(0);
    await waitFor('the last step waiting', async () =>
      /canary step 2\/2: waiting: the kubernetes/.test(await status()),
    );
    expect((await berth.cli(['promote', 'canary-demo/api', '--env', 'kwait'])).code).toBe(0);
    const result = await deploy;
    expect(result.code, result.stderr).toBe(0);
    expect(deployments('kwait')).toEqual(['api']);
  });

  it('fails a canary the cluster cannot measure when the analysis says onNoData: fail', async () => {
    const dir = await canaryOnCluster('kfail', '{ interval: 200ms, onNoData: fail }');
    const template = () => JSON.stringify((api.list('apps/v1', 'Deployment', 'kfail')[0] as { spec?: unknown }).spec);
    const before = template();
    const result = await berth.cli(['deploy', dir, '--env', 'kfail']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /api: no verdict at 20% on the new version: the kubernetes runtime measures no per-track traffic \(onNoData: fail\)/,
    );
    // Back on the stable track: the canary is gone and the old version serves.
    expect(deployments('kfail')).toEqual(['api']);
    expect(template()).toBe(before);
  });
});
