/**
 * Canary analysis on Kubernetes reads Prometheus (issue 16, point 6): the real control plane deploys
 * the canary example to an in-test Kubernetes API server, in environments whose traffic router
 * (ingress-nginx, or Istio for the Gateway API) is scraped by a real Prometheus. The router's metrics
 * come from a test target whose counters advance while the release runs: a healthy canary passes
 * its checks and is promoted, one answering 5xx is rolled back, and a Prometheus that cannot be
 * reached gives no verdict saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';
import { startFakeApiServer, type FakeApiServer } from '../../src/runtime/kubernetes/testing/fakeApiServer.js';
import {
  startPrometheus,
  startRouterMetrics,
  type RouterMetrics,
  type TestPrometheus,
} from '../../src/runtime/kubernetes/prometheus/testing.js';
import type { TrafficRouter } from '../../src/model/routing.js';

let api: FakeApiServer;
let berth: Berth;
let router: RouterMetrics;
let prom: TestPrometheus;

beforeAll(async () => {
  router = await startRouterMetrics();
  [prom, api] = await Promise.all([startPrometheus([router.target]), startFakeApiServer({ podReadyDelayMs: 50 })]);
  const kubeconfig = join(await mkdtemp(join(tmpdir(), 'berth-kube-')), 'kubeconfig');
  await api.writeKubeconfig(kubeconfig, { context: 'fake' });
  berth = await startBerth({ env: { KUBECONFIG: kubeconfig } });
}, 60_000);
afterAll(async () => {
  await berth?.teardown();
  await api?.close();
  await prom?.stop();
  await router?.close();
});

/** The canary example in a new Kubernetes environment scraped by `prometheus`, deployed once, VERSION=2 set. */
async function canaryOnCluster(name: string, trafficRouter: TrafficRouter, prometheus: string, analysis: string) {
  const dir = await copyExample('canary');
  const spec = await readFile(join(dir, 'berth.yaml'), 'utf8');
  await writeFile(
    join(dir, 'berth.yaml'),
    spec.replace(
      / {4}strategy:\n(?: {6}.*\n)+/,
      `    strategy:\n      type: canary\n      steps: [{ weight: 20 }]\n      analysis: ${analysis}\n`,
    ),
  );
  const env = await berth.cli([
    'env',
    'create',
    name,
    '--kubernetes',
    '--context',
    'fake',
    '--traffic-router',
    trafficRouter,
    '--prometheus',
    prometheus,
  ]);
  expect(env.code, env.stderr).toBe(0);
  const first = await berth.cli(['deploy', dir, '--env', name]);
  expect(first.code, first.stderr).toBe(0);
  expect((await berth.cli(['config', 'set', 'VERSION=2', '--app', 'canary-demo', '--env', name])).code).toBe(0);
  return dir;
}

/** Serves the router's view of requests to `api` in `namespace` (4 stable : 1 canary) every 100 ms until stopped. */
function traffic(trafficRouter: TrafficRouter, namespace: string, canaryStatus: number): () => void {
  const timer = setInterval(() => {
    const at = { router: trafficRouter, namespace, service: 'api' };
    router.serve({ ...at, track: 'stable', status: 200, durationMs: 20, count: 4 });
    router.serve({ ...at, track: 'canary', status: canaryStatus, durationMs: 30 });
  }, 100);
  return () => clearInterval(timer);
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An HTTP server on `port` passing every request on to `target` (a Prometheus that comes up late). */
async function proxyTo(port: number, target: string): Promise<Server> {
  const server = createServer((req, res) => {
    const out = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const deployments = (ns: string): string[] =>
  api
    .list('apps/v1', 'Deployment', ns)
    .map((d) => d.metadata.name)
    .sort();

interface Check {
  verdict: string;
  message: string;
  requests: number;
  errors: number;
  scope: string;
}
/** The status and analysis checks of the last deploy (newest first; an automatic rollback may follow it). */
const checksOf = async (env: string): Promise<{ status: string; checks: Check[] }> => {
  const history = await berth.json<{ kind: string; status: string; steps: { progress?: { checks?: Check[] } }[] }[]>([
    'history',
    'canary-demo',
    '--env',
    env,
  ]);
  const last = history.find((r) => r.kind === 'deploy')!;
  return { status: last.status, checks: last.steps.flatMap((s) => s.progress?.checks ?? []) };
};

// The tests use environments (and namespaces) of their own: they run side by side, mostly waiting for scrapes.
describe.concurrent('canary analysis on Kubernetes from Prometheus', () => {
  it.each<[TrafficRouter, string]>([
    ['ingressNginx', 'kp-nginx'],
    ['gatewayApi', 'kp-istio'],
  ])(
    '%s: a canary whose requests the router sees succeed passes its checks and is promoted',
    async (r, name) => {
      const dir = await canaryOnCluster(name, r, prom.url, '{ interval: 1s, minRequests: 5 }');
      const stop = traffic(r, name, 200);
      try {
        const result = await berth.cli(['deploy', dir, '--env', name]);
        expect(result.code, result.stderr).toBe(0);
      } finally {
        stop();
      }
      expect(deployments(name)).toEqual(['api']);
      const { status, checks } = await checksOf(name);
      expect(status).toBe('succeeded');
      const steps = checks.filter((c) => c.scope === 'step' && c.verdict === 'pass');
      expect(steps.length, JSON.stringify(checks)).toBeGreaterThanOrEqual(1);
      expect(steps[0]!.requests).toBeGreaterThanOrEqual(5);
      expect(steps[0]!).toMatchObject({ errors: 0 });
      expect(checks.some((c) => c.verdict === 'fail')).toBe(false);
    },
    40_000,
  );

  it('a canary answering 5xx fails its check and is rolled back', async () => {
    const name = 'kp-bad';
    const dir = await canaryOnCluster(name, 'ingressNginx', prom.url, '{ interval: 1s, minRequests: 5 }');
    const template = () => JSON.stringify((api.list('apps/v1', 'Deployment', name)[0] as { spec?: unknown }).spec);
    const before = template();
    const stop = traffic('ingressNginx', name, 503);
    let result;
    try {
      result = await berth.cli(['deploy', dir, '--env', name]);
    } finally {
      stop();
    }
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/api: analysis failed at 20% on the new version: error rate 100\.0% > 5\.0%/);
    // Back on the stable track: the canary is gone and the old version serves.
    expect(deployments(name)).toEqual(['api']);
    expect(template()).toBe(before);
    const { status, checks } = await checksOf(name);
    expect(status).toBe('failed');
    expect(checks.at(-1)).toMatchObject({ verdict: 'fail' });
    expect(checks.at(-1)!.errors).toBe(checks.at(-1)!.requests);
  }, 40_000);

  it('a Prometheus that cannot be reached gives no verdict, saying why (onNoData: fail rolls back)', async () => {
    const name = 'kp-down';
    const dir = await canaryOnCluster(
      name,
      'ingressNginx',
      'http://127.0.0.1:1',
      '{ interval: 300ms, onNoData: fail }',
    );
    const result = await berth.cli(['deploy', dir, '--env', name]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /api: no verdict at 20% on the new version: no reading of the traffic: Prometheus at http:\/\/127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED.* \(onNoData: fail\)/,
    );
    expect(deployments(name)).toEqual(['api']);
    const { checks } = await checksOf(name);
    expect(checks.at(-1)).toMatchObject({ verdict: 'inconclusive', scope: 'step' });
    expect(checks.at(-1)!.message).toMatch(
      /^no reading of the traffic: Prometheus at http:\/\/127\.0\.0\.1:1 is unreachable/,
    );
  }, 40_000);

  it('waits while Prometheus cannot be reached, saying why, then for requests, and goes on once they pass', async () => {
    const name = 'kp-late';
    // Nothing listens on this port yet: Prometheus "comes up" there later, as a proxy to the real one.
    const port = await freePort();
    const dir = await canaryOnCluster(
      name,
      'ingressNginx',
      `http://127.0.0.1:${port}`,
      '{ interval: 500ms, minRequests: 5 }',
    );
    let stop = (): void => {};
    let late: Server | undefined;
    try {
      const deploy = berth.cli(['deploy', dir, '--env', name]);
      const status = async (): Promise<string> => (await berth.cli(['status', 'canary-demo', '--env', name])).stdout;
      await waitFor('the step waiting for a reading', async () =>
        /canary step 1\/2: waiting: no reading of the traffic \(Prometheus at http:\/\/127\.0\.0\.1:\d+ is unreachable/.test(
          await status(),
        ),
      );
      expect(deployments(name)).toEqual(['api', 'api-canary']);
      late = await proxyTo(port, prom.url);
      // Readings come, but no requests yet: the step now says it waits for them.
      await waitFor('the step waiting for requests', async () =>
        /canary step 1\/2: waiting: 0 requests < minRequests 5/.test(await status()),
      );
      stop = traffic('ingressNginx', name, 200);
      const result = await deploy;
      expect(result.code, result.stderr).toBe(0);
    } finally {
      stop();
      late?.closeAllConnections();
      await new Promise((resolve) => (late ? late.close(resolve) : resolve(undefined)));
    }
    expect(deployments(name)).toEqual(['api']);
    const { status, checks } = await checksOf(name);
    expect(status).toBe('succeeded');
    expect(checks.filter((c) => c.scope === 'step').at(-1)).toMatchObject({ verdict: 'pass', errors: 0 });
  }, 40_000);

  it('refuses a Prometheus URL that is not http(s), naming the field', async () => {
    const bad = await berth.cli(['env', 'create', 'kp-badurl', '--kubernetes', '--prometheus', 'ftp://prom:9090']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/target\.prometheus\.url.*must be an http:\/\/ or https:\/\/ URL/);
    const needs = await berth.cli(['env', 'create', 'kp-local', '--prometheus', 'http://prom:9090']);
    expect(needs.code).not.toBe(0);
    expect(needs.stderr).toMatch(/kubernetes/);
  });

  it('points an existing environment at a Prometheus and back (env set --prometheus, env get)', async () => {
    expect((await berth.cli(['env', 'create', 'kp-set', '--kubernetes', '--context', 'fake'])).code).toBe(0);
    expect((await berth.cli(['env', 'get', 'kp-set'])).stdout).toMatch(/prometheus: +none/);
    const set = await berth.cli(['env', 'set', 'kp-set', '--prometheus', prom.url, '--prometheus-timeout', '2s']);
    expect(set.stdout, set.stderr).toContain(`canary analysis from ${prom.url}`);
    expect((await berth.cli(['env', 'get', 'kp-set'])).stdout).toContain(`prometheus: ${prom.url}`);
    const env = await berth.json<{ target: { prometheus?: unknown } }>(['env', 'get', 'kp-set']);
    expect(env.target.prometheus).toEqual({ url: prom.url, timeout: '2s' });
    expect((await berth.cli(['env', 'set', 'kp-set', '--prometheus', ''])).stdout).toContain('no Prometheus');
    const local = await berth.cli(['env', 'create', 'kp-here']);
    expect(local.code, local.stderr).toBe(0);
    const refused = await berth.cli(['env', 'set', 'kp-here', '--prometheus', prom.url]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/prometheus.*Kubernetes environments/);
  });
});
