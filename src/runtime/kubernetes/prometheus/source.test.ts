/**
 * The Prometheus traffic source against a real Prometheus (Debian's `prometheus`) scraping a target
 * that serves ingress-nginx- and Istio-shaped metrics: each track reads what was served (requests,
 * 5xx, the histogram, so the same p99 analysis.ts computes), nothing served reads as no requests,
 * and a Prometheus that cannot answer is an UnavailableError naming it and why.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../errors.js';
import type { TrackTraffic } from '../../../model/observation.js';
import type { TrafficRouter } from '../../../model/routing.js';
import { analyse, intervalOf, quantileMs } from '../../../release/analysis.js';
import { prometheusTraffic } from './source.js';
import { startPrometheus, startRouterMetrics, type RouterMetrics, type TestPrometheus } from './testing.js';

const POLICY = { intervalMs: 1000, minRequests: 5, maxErrorRate: 0.05, onNoData: 'wait' } as const;

let target: RouterMetrics;
let prom: TestPrometheus;

beforeAll(async () => {
  target = await startRouterMetrics();
  prom = await startPrometheus([target.target]);
}, 40_000);
afterAll(async () => {
  await prom?.stop();
  await target?.close();
});

/** Reads until `done` holds (Prometheus scrapes every second), at most 15 s. */
async function readUntil(
  read: () => Promise<TrackTraffic[]>,
  done: (t: TrackTraffic[]) => boolean,
): Promise<TrackTraffic[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const t = await read();
    if (done(t)) return t;
    if (Date.now() > deadline) throw new Error(`never read what was served: ${JSON.stringify(t)}\n${prom.log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What the proxy's histogram would hold for these observations, with the same bucket bounds. */
function expected(bounds: number[], durations: number[]): Pick<TrackTraffic, 'latencyBucketsMs' | 'latencyCounts'> {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  for (const d of durations) {
    const i = bounds.findIndex((b) => d <= b);
    counts[i === -1 ? bounds.length : i]! += 1;
  }
  return { latencyBucketsMs: bounds, latencyCounts: counts };
}

describe.each<[TrafficRouter, string]>([
  ['ingressNginx', 'ingress-nginx'],
  ['gatewayApi', 'Istio (Gateway API)'],
])('traffic from Prometheus: %s', (router, _name) => {
  const namespace = `ns-${router.toLowerCase()}`;
  const read = () => prometheusTraffic({ url: prom.url, router, namespace })('shop', 'prod', 'api');

  it('reads what the router served per track: requests, 5xx and the latency histogram', async () => {
    const serve = (track: 'stable' | 'canary', status: number, durationMs: number, count = 1) =>
      target.serve({ router, namespace, service: 'api', track, status, durationMs, count });
    const stableMs: number[] = [];
    const canaryMs: number[] = [];
    for (let i = 0; i < 40; i++) {
      const d = 3 + i * 7; // 3 ms .. 276 ms
      serve('stable', 200, d);
      stableMs.push(d);
    }
    for (let i = 0; i < 10; i++) {
      const d = 20 + i * 60;
      serve('canary', i < 3 ? 503 : 200, d);
      canaryMs.push(d);
    }
    // Another service, another namespace and (Istio) the destination's own report: none of them count.
    target.serve({ router, namespace, service: 'apix', track: 'canary', status: 500, durationMs: 1, count: 7 });
    target.serve({ router, namespace: 'other', service: 'api', track: 'canary', status: 500, durationMs: 1, count: 5 });
    if (router === 'gatewayApi')
      target.serve({ router, namespace, service: 'api', track: 'canary', status: 500, durationMs: 1, elsewhere: true });

    const [stable, canary] = await readUntil(read, (t) => t[0]!.requests === 40 && t[1]!.requests === 10);
    expect(stable).toMatchObject({
      track: 'stable',
      requests: 40,
      errors: 0,
      ...expected(target.bucketsMs(router), stableMs),
    });
    expect(canary).toMatchObject({
      track: 'canary',
      requests: 10,
      errors: 3,
      ...expected(target.bucketsMs(router), canaryMs),
    });
    expect(canary!.latencySumMs).toBeCloseTo(
      canaryMs.reduce((a, b) => a + b, 0),
      6,
    );
    // The quantiles are those of the proxy's own histogram with the same buckets.
    const local = { ...expected(target.bucketsMs(router), canaryMs) };
    expect(quantileMs(canary!, 0.99)).toBeCloseTo(quantileMs(local, 0.99)!, 9);
    expect(quantileMs(canary!, 0.5)).toBeCloseTo(quantileMs(local, 0.5)!, 9);

    // Counters advance: the interval between two readings is what was served in between.
    for (let i = 0; i < 5; i++) serve('canary', 500, 900);
    const [, later] = await readUntil(read, (t) => t[1]!.requests === 15);
    const interval = intervalOf(canary, later!);
    expect(interval).toMatchObject({ requests: 5, errors: 5 });
    expect(analyse(interval, POLICY).verdict).toBe('fail');
  });

  it('a service the router has not served reads as no requests: no verdict', async () => {
    const [stable, canary] = await prometheusTraffic({ url: prom.url, router, namespace })('shop', 'prod', 'quiet');
    expect(stable).toEqual({
      track: 'stable',
      requests: 0,
      errors: 0,
      latencyBucketsMs: [],
      latencyCounts: [],
      latencySumMs: 0,
    });
    expect(canary!.requests).toBe(0);
    const verdict = analyse(intervalOf(undefined, canary!), POLICY);
    expect(verdict.verdict).toBe('inconclusive');
  });
});

describe('a Prometheus that cannot answer', () => {
  let server: Server;
  let base: string;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url?.startsWith('/slow')) return; // never answers
      if (req.url?.startsWith('/html')) return void res.writeHead(200).end('<html>login</html>');
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const failure = async (url: string, timeoutMs?: number): Promise<UnavailableError> => {
    const read = prometheusTraffic({
      url,
      router: 'ingressNginx',
      namespace: 'ns',
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    const err = await read('shop', 'prod', 'api').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnavailableError);
    return err as UnavailableError;
  };

  it('fails at once with the same reason for a while after a failure, then asks again', async () => {
    let clock = 0;
    const read = prometheusTraffic({
      url: `${base}/bad`,
      router: 'gatewayApi',
      namespace: 'ns',
      failureHoldMs: 300,
      now: () => clock,
    });
    const first = await read('shop', 'prod', 'api').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(UnavailableError);
    const asked = hits;
    expect(asked).toBeGreaterThan(0);
    clock = 299;
    expect(await read('shop', 'prod', 'api').catch((e: unknown) => e)).toBe(first);
    expect(hits).toBe(asked);
    clock = 300;
    await expect(read('shop', 'prod', 'api')).rejects.toThrow(/answered 400/);
    expect(hits).toBeGreaterThan(asked);
  });

  it('says it is unreachable, answered an error, timed out, or answered something else', async () => {
    // Port 1 on the loopback: nothing listens there.
    expect((await failure('http://127.0.0.1:1')).message).toMatch(
      /^Prometheus at http:\/\/127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED/,
    );
    expect((await failure(`${base}/bad`)).message).toBe(
      `Prometheus at ${base}/bad answered 400: bad_data: parse error at char 5`,
    );
    expect((await failure(`${base}/slow`, 300)).message).toBe(
      `Prometheus at ${base}/slow did not answer within 300 ms`,
    );
    expect((await failure(`${base}/html`)).message).toBe(
      `Prometheus at ${base}/html answered 200 with something other than an instant vector`,
    );
  });
});
