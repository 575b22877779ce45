import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyCounters } from '../model/observation.js';
import type { TrafficPolicy } from '../model/routing.js';
import { createGatewayControl } from './control.js';
import type { Backend, EdgeListener, ServiceListener, ServiceTraffic } from './table.js';
import type { Upstream } from './testing.js';
import type { TestGateway } from './testing.js';
import { fetchText, freePort, refusingPort, startTestGateway } from './testing.js';

let t: TestGateway;
const upstream = (name: string, delayMs = 0, status = 200): Promise<Upstream> => t.upstream(name, delayMs, status);

const backend = (u: Upstream): Backend => ({ id: u.name, host: '127.0.0.1', port: u.port });
const apply = (services: ServiceListener[], edges: EdgeListener[] = []): Promise<void> => t.apply({ services, edges });
const traffic = async (key: string): Promise<ServiceTraffic | undefined> =>
  (await t.services()).find((s) => s.key === key);

async function counters(key: string): Promise<PolicyCounters> {
  const p = (await traffic(key))?.policy;
  expect(p, `policy counters of ${key}`).toBeDefined();
  return p!;
}

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
const get = (port: number, path = '/', method: Method = 'GET', body?: string) =>
  fetchText(`http://127.0.0.1:${port}${path}`, { method, body });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function statuses(port: number, n: number, path = '/', method: Method = 'GET'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await get(port, path, method)).status);
  return out;
}

const breaker = (c: Partial<NonNullable<TrafficPolicy['circuitBreaker']>>): TrafficPolicy['circuitBreaker'] => ({
  minRequests: 1,
  windowMs: 1000,
  openMs: 300,
  halfOpenRequests: 1,
  ...c,
});

beforeAll(async () => {
  t = await startTestGateway({ drainTimeoutMs: 1_000 });
});

afterAll(async () => {
  await t?.close();
});

afterEach(async () => {
  // An empty table drops every service, so each test starts with fresh buckets, breakers, counters.
  await apply([]);
});

describe('rate limit', () => {
  it('answers 429 with Retry-After over the bucket, and lets requests through again once it refills', async () => {
    const u = await upstream('rl');
    const port = await freePort();
    const key = 'shop/local/rl';
    await apply([{ key, port, backends: [backend(u)], policy: { rateLimit: { requestsPerSecond: 2, burst: 3 } } }]);

    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await get(port));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    expect(answers[3]!.headers['retry-after']).toBe('1');
    expect(answers[3]!.text).toBe(`rate limit of ${key} exceeded\n`);
    expect(u.hits).toBe(3);

    // 2 tokens a second: one is back after 500 ms.
    await sleep(600);
    expect(await statuses(port, 2)).toEqual([200, 429]);
    expect(await counters(key)).toMatchObject({ rateLimited: 3, retries: 0, timeouts: 0, shortCircuited: 0 });
  });

  it("gives a route with its own rate limit its own bucket; other routes share the service's", async () => {
    const u = await upstream('rl-route');
    const [port, edgePort] = await Promise.all([freePort(), freePort()]);
    const key = 'shop/local/rr';
    await apply(
      [{ key, port, backends: [backend(u)], policy: { rateLimit: { requestsPerSecond: 0.1, burst: 3 } } }],
      [
        {
          key: 'shop/local',
          port: edgePort,
          routes: [
            {
              pathPrefix: '/limited',
              target: key,
              stripPrefix: false,
              policy: { rateLimit: { requestsPerSecond: 0.1, burst: 2 } },
            },
            { pathPrefix: '/', target: key, stripPrefix: false },
          ],
        },
      ],
    );

    const limited = [];
    for (let i = 0; i < 3; i++) limited.push(await get(edgePort, '/limited/x'));
    expect(limited.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(limited[2]!.text).toBe('rate limit of route /limited of shop/local exceeded\n');
    // 0.1 token a second: the next one is 10 s away.
    expect(limited[2]!.headers['retry-after']).toBe('10');

    // The route's bucket took nothing from the service's: its 3 tokens serve the other route and the address.
    expect(await statuses(edgePort, 2, '/other')).toEqual([200, 200]);
    expect((await get(port)).status).toBe(200);
    const over = await get(port);
    expect(over.status).toBe(429);
    expect(over.text).toBe(`rate limit of ${key} exceeded\n`);
    expect((await get(edgePort, '/other')).status).toBe(429);
    expect(await counters(key)).toMatchObject({ rateLimited: 3 });
  });
});

describe('timeout and retries', () => {
  it('answers 504 when the replica does not answer in time', async () => {
    const slow = await upstream('slow', 3_000);
    const port = await freePort();
    const key = 'shop/local/to';
    await apply([{ key, port, backends: [backend(slow)], policy: { timeoutMs: 200 } }]);
    const start = performance.now();
    const res = await get(port);
    const tookMs = performance.now() - start;
    expect(res.status).toBe(504);
    expect(res.text).toBe(`upstream slow of ${key} timed out after 200 ms\n`);
    expect(tookMs).toBeGreaterThanOrEqual(190);
    expect(tookMs).toBeLessThan(1_500);
    expect(await counters(key)).toMatchObject({ timeouts: 1, retries: 0 });
    const stable = (await traffic(key))!.tracks.find((t) => t.track === 'stable')!;
    expect(stable).toMatchObject({ requests: 1, errors: 1 });
  });

  it('retries a timed-out request on a healthy replica when retries allow', async () => {
    const [slow, fast] = await Promise.all([upstream('r-slow', 3_000), upstream('r-fast')]);
    const port = await freePort();
    const key = 'shop/local/rt';
    await apply([
      {
        key,
        port,
        backends: [backend(slow), backend(fast)],
        policy: { timeoutMs: 200, retries: { attempts: 1, onStatus: [], backoffMs: 0 } },
      },
    ]);
    const answers = [await get(port), await get(port)];
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => a.headers['x-upstream'])).toEqual(['r-fast', 'r-fast']);
    // Round robin sent at least one of the two to the slow replica first; each such try timed out.
    expect(slow.received).toBeGreaterThanOrEqual(1);
    expect(slow.hits).toBe(0);
    expect(await counters(key)).toMatchObject({ timeouts: slow.received, retries: slow.received });
    const stable = (await traffic(key))!.tracks.find((t) => t.track === 'stable')!;
    // A request that succeeded on its retry is no error.
    expect(stable).toMatchObject({ requests: 2, errors: 0 });
  });

  it('retries an answer listed in onStatus, for idempotent methods only', async () => {
    const [bad, good] = await Promise.all([upstream('s-bad', 0, 503), upstream('s-good')]);
    const port = await freePort();
    const key = 'shop/local/rs';
    await apply([
      {
        key,
        port,
        backends: [backend(bad), backend(good)],
        policy: { retries: { attempts: 1, onStatus: [503], backoffMs: 0 } },
      },
    ]);
    // Round robin sends some GETs to the bad replica first; each is retried on the good one.
    expect(await statuses(port, 4)).toEqual([200, 200, 200, 200]);
    const retried = bad.received;
    expect(retried).toBeGreaterThanOrEqual(1);
    expect(await counters(key)).toMatchObject({ retries: retried });

    // POSTs, and PUTs with a body (streamed, so not sent twice): what reaches the bad replica is answered as is.
    const posts = await statuses(port, 4, '/', 'POST');
    const puts: number[] = [];
    for (let i = 0; i < 4; i++) puts.push((await get(port, '/', 'PUT', 'payload')).status);
    const failed = [...posts, ...puts].filter((s) => s === 503).length;
    expect(failed).toBeGreaterThanOrEqual(2);
    expect(failed).toBe(bad.received - retried);
    expect([...posts, ...puts].filter((s) => s === 200).length).toBe(8 - failed);
    expect(await counters(key)).toMatchObject({ retries: retried });
  });

  it('does not retry a POST after a connection failure, but does retry a GET', async () => {
    const good = await upstream('c-good');
    const [port, deadPort] = await Promise.all([freePort(), refusingPort()]);
    const key = 'shop/local/rc';
    const dead: Backend = { id: 'dead', host: '127.0.0.1', port: deadPort };
    await apply([
      {
        key,
        port,
        backends: [dead, backend(good)],
        policy: { retries: { attempts: 2, onStatus: [], backoffMs: 0 } },
      },
    ]);
    expect(await statuses(port, 4)).toEqual([200, 200, 200, 200]);
    const retried = (await counters(key)).retries;
    expect(retried).toBeGreaterThanOrEqual(1);
    expect(good.hits).toBe(4);
    // Each POST is tried once: round robin alternates, so some reach the dead replica and fail.
    const posts = [];
    for (let i = 0; i < 4; i++) posts.push(await get(port, '/', 'POST'));
    const refused = posts.filter((a) => a.status === 502);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length + good.hits - 4).toBe(4);
    expect(refused[0]!.text).toContain('upstream dead of shop/local/rc failed: ECONNREFUSED');
    expect(await counters(key)).toMatchObject({ retries: retried });
  });

  it('stops after `attempts` extra tries, waiting backoffMs between them', async () => {
    const [a, b] = await Promise.all([upstream('x-a', 0, 503), upstream('x-b', 0, 503)]);
    const port = await freePort();
    const key = 'shop/local/rx';
    await apply([
      {
        key,
        port,
        backends: [backend(a), backend(b)],
        policy: { retries: { attempts: 2, onStatus: [503], backoffMs: 100 } },
      },
    ]);
    const start = performance.now();
    const res = await get(port);
    const tookMs = performance.now() - start;
    // The last try's answer goes to the client as it came.
    expect(res.status).toBe(503);
    expect(a.received + b.received).toBe(3);
    expect(tookMs).toBeGreaterThanOrEqual(190);
    expect(await counters(key)).toMatchObject({ retries: 2 });
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, serves the fallback without upstream hits, half-opens and closes', async () => {
    const u = await upstream('cb', 0, 500);
    const [port, other] = await Promise.all([freePort(), freePort()]);
    const key = 'shop/local/cb';
    const service: ServiceListener = {
      key,
      port,
      backends: [backend(u)],
      policy: {
        circuitBreaker: breaker({ consecutiveFailures: 3, openMs: 400 }),
        fallback: { status: 200, body: '{"degraded":true}', contentType: 'application/json' },
      },
    };
    await apply([service]);
    expect(await statuses(port, 3)).toEqual([500, 500, 500]);
    expect(u.received).toBe(3);

    const fallback = await get(port);
    expect(fallback).toMatchObject({ status: 200, text: '{"degraded":true}' });
    expect(fallback.headers['content-type']).toBe('application/json');
    expect(await statuses(port, 4)).toEqual([200, 200, 200, 200]);
    expect(u.received).toBe(3);
    let c = await counters(key);
    expect(c).toMatchObject({ shortCircuited: 5, circuit: { state: 'open', reason: '3 failures in a row' } });
    expect(Date.parse(c.circuit!.openedAt!)).toBeGreaterThan(Date.now() - 5_000);

    // A table update (another service added) keeps the open circuit and the counters.
    const bystander = await upstream('cb-bystander');
    await apply([service, { key: 'shop/local/by', port: other, backends: [backend(bystander)] }]);
    expect((await get(port)).text).toBe('{"degraded":true}');
    expect(await counters(key)).toMatchObject({ shortCircuited: 6, circuit: { state: 'open' } });
    // A service without a policy reports none.
    expect((await traffic('shop/local/by'))!.policy).toBeUndefined();

    await sleep(450);
    expect((await counters(key)).circuit!.state).toBe('halfOpen');
    u.status = 200;
    const probe = await get(port);
    expect(probe.status).toBe(200);
    expect(probe.headers['x-upstream']).toBe('cb');
    expect(u.received).toBe(4);
    c = await counters(key);
    expect(c.circuit).toMatchObject({ state: 'closed', reason: '3 failures in a row' });
    expect(await statuses(port, 3)).toEqual([200, 200, 200]);
    expect(u.received).toBe(7);
  });

  it('opens again when the half-open probe fails; 503 naming the service without a fallback', async () => {
    const u = await upstream('cb2', 0, 502);
    const port = await freePort();
    const key = 'shop/local/cb2';
    await apply([
      {
        key,
        port,
        backends: [backend(u)],
        policy: { circuitBreaker: breaker({ consecutiveFailures: 2, openMs: 300 }) },
      },
    ]);
    expect(await statuses(port, 2)).toEqual([502, 502]);
    const open = await get(port);
    expect(open).toMatchObject({ status: 503, text: `circuit open for ${key}\n` });
    const firstOpenedAt = (await counters(key)).circuit!.openedAt;

    await sleep(350);
    // The probe reaches the replica, fails, and the circuit opens again at once.
    expect(await statuses(port, 2)).toEqual([502, 503]);
    expect(u.received).toBe(3);
    const c = await counters(key);
    expect(c.circuit).toMatchObject({ state: 'open', reason: 'a half-open probe failed' });
    expect(c.circuit!.openedAt! >= firstOpenedAt!).toBe(true);
    expect(c.shortCircuited).toBe(2);
  });

  it('lets only halfOpenRequests concurrent probes through when half-open', async () => {
    const u = await upstream('cb3', 0, 500);
    const port = await freePort();
    const key = 'shop/local/cb3';
    await apply([
      {
        key,
        port,
        backends: [backend(u)],
        policy: { circuitBreaker: breaker({ consecutiveFailures: 1, openMs: 200 }) },
      },
    ]);
    expect(await statuses(port, 2)).toEqual([500, 503]);
    await sleep(250);
    u.status = 200;
    u.delayMs = 300;
    const concurrent = await Promise.all([get(port), get(port), get(port)]);
    expect(concurrent.map((a) => a.status).sort()).toEqual([200, 503, 503]);
    expect(u.received).toBe(2);
    expect((await counters(key)).circuit!.state).toBe('closed');
  });

  it('opens on an error rate over the window once it has enough requests', async () => {
    const [good, bad] = await Promise.all([upstream('er-good'), upstream('er-bad', 0, 500)]);
    const port = await freePort();
    const key = 'shop/local/er';
    await apply([
      {
        key,
        port,
        backends: [backend(good), backend(bad)],
        policy: { circuitBreaker: breaker({ errorRate: 0.4, minRequests: 10, windowMs: 5_000, openMs: 5_000 }) },
      },
    ]);
    // Half the requests fail (round robin): 50% > 40%, but only from the 10th request on.
    const first = await statuses(port, 10);
    expect(first.filter((s) => s === 500)).toHaveLength(5);
    expect(first.filter((s) => s === 200)).toHaveLength(5);
    expect(good.received + bad.received).toBe(10);
    expect(await statuses(port, 3)).toEqual([503, 503, 503]);
    expect(good.received + bad.received).toBe(10);
    expect(await counters(key)).toMatchObject({
      shortCircuited: 3,
      circuit: { state: 'open', reason: 'error rate 50% over 5s' },
    });
  });

  it('lets a route with its own breaker open without opening the service', async () => {
    const u = await upstream('cb-route');
    const [port, edgePort] = await Promise.all([freePort(), freePort()]);
    const key = 'shop/local/cr';
    await apply(
      [{ key, port, backends: [backend(u)] }],
      [
        {
          key: 'shop/local',
          port: edgePort,
          routes: [
            {
              pathPrefix: '/fragile',
              target: key,
              stripPrefix: false,
              policy: { circuitBreaker: breaker({ consecutiveFailures: 2, openMs: 10_000 }) },
            },
            { pathPrefix: '/', target: key, stripPrefix: false },
          ],
        },
      ],
    );
    u.status = 500;
    expect(await statuses(edgePort, 2, '/fragile')).toEqual([500, 500]);
    expect((await get(edgePort, '/fragile')).text).toBe('circuit open for route /fragile of shop/local\n');
    // The rest of the service's traffic still reaches it.
    expect((await get(edgePort, '/else')).status).toBe(500);
    expect((await get(port)).status).toBe(500);
    expect(await counters(key)).toMatchObject({
      shortCircuited: 1,
      circuit: {
        state: 'open',
        reason: 'route /fragile of shop/local: 2 failures in a row',
        route: 'route /fragile of shop/local',
        reasonMessage: { code: 'circuit.failures', params: { count: 2 } },
      },
    });
  });
});

describe('fallback', () => {
  it('answers with the fallback when no replica is ready', async () => {
    const port = await freePort();
    const key = 'shop/local/fb';
    await apply([
      {
        key,
        port,
        backends: [],
        policy: { fallback: { status: 503, body: 'come back soon', contentType: 'text/html' } },
      },
    ]);
    const res = await get(port);
    expect(res).toMatchObject({ status: 503, text: 'come back soon' });
    expect(res.headers['content-type']).toBe('text/html');
    expect((await traffic(key))!.unavailable).toBe(1);
  });
});

describe('reporting', () => {
  it("reports counters and the circuit through the control's traffic()", async () => {
    const u = await upstream('rep', 0, 500);
    const [port, plainPort] = await Promise.all([freePort(), freePort()]);
    const key = 'shop/local/rep';
    await apply([
      {
        key,
        port,
        backends: [backend(u)],
        policy: {
          rateLimit: { requestsPerSecond: 1000, burst: 1000 },
          circuitBreaker: breaker({ consecutiveFailures: 1, openMs: 10_000 }),
        },
      },
      { key: 'shop/local/plain', port: plainPort, backends: [backend(u)] },
    ]);
    expect(await statuses(port, 3)).toEqual([500, 503, 503]);
    // The control reads the running gateway's stats (this in-process one: it never starts one).
    const control = createGatewayControl({ home: t.home });
    const services = await control.traffic();
    const rep = services.find((s) => s.key === key)!;
    expect(rep.policy).toEqual({
      rateLimited: 0,
      retries: 0,
      timeouts: 0,
      shortCircuited: 2,
      circuit: {
        state: 'open',
        openedAt: expect.any(String) as string,
        reason: '1 failure in a row',
        // with a code, for the console's tooltip in its language
        reasonMessage: { code: 'circuit.failures', params: { count: 1 }, text: '1 failure in a row' },
      },
    });
    expect(services.find((s) => s.key === 'shop/local/plain')!.policy).toBeUndefined();
  });
});
