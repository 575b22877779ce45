import { readFileSync, readdirSync } from 'node:fs';
import { createServer, get } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalGatewayControl } from './control.js';
import { createGatewayControl } from './control.js';
import { askedWorkers } from './gatewayOptions.js';
import { parseWorkerCount } from './gatewayWorkers.js';
import { ServicePolicies } from './policy.js';
import { ensureGatewayBuilt, freePort, tempHome } from './testing.js';

/** An upstream that names itself and the source port of the connection each request came on. */
interface PortUpstream {
  port: number;
  sourcePorts: Set<number>;
  /** The source port each span id (of the traceparent the gateway sent) came from. */
  spanPorts: Map<string, number>;
  hits: number;
  server: Server;
}

async function portUpstream(name: string): Promise<PortUpstream> {
  const up = { sourcePorts: new Set<number>(), spanPorts: new Map<string, number>(), hits: 0 } as PortUpstream;
  up.server = createServer((req, res) => {
    up.hits++;
    up.sourcePorts.add(req.socket.remotePort!);
    const parent = String(req.headers.traceparent ?? '').split('-')[2];
    if (parent !== undefined) up.spanPorts.set(parent, req.socket.remotePort!);
    res.end(name);
  });
  await new Promise<void>((resolve) => up.server.listen(0, '127.0.0.1', resolve));
  up.port = (up.server.address() as AddressInfo).port;
  return up;
}

/** A GET on a connection of its own (no agent): the cluster hands each new connection to the next worker. */
function getFresh(port: number, path = '/'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    }).on('error', reject);
  });
}

/** Pids of the gateway's worker processes (its children running gatewayWorker.js). */
function workerPids(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    for (const k of kids ? kids.split(' ').map(Number) : []) {
      try {
        if (readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('gatewayWorker.js')) out.push(k);
      } catch {
        // Exited meanwhile.
      }
    }
  }
  return out;
}

async function eventually(fn: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let entry: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  entry = ensureGatewayBuilt();
}, 120_000);

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function gatewayWithWorkers(workers: number): Promise<LocalGatewayControl> {
  const home = await tempHome();
  cleanups.push(() => home.remove());
  const control = createGatewayControl({ home: home.dir, entry, workers, dataPlane: 'node' });
  cleanups.push(() => control.stop());
  return control;
}

async function upstream(name: string): Promise<PortUpstream> {
  const u = await portUpstream(name);
  cleanups.push(() => new Promise<void>((resolve) => u.server.close(() => resolve())));
  u.server.closeIdleConnections();
  return u;
}

describe('gateway workers', () => {
  it('serves a port from every worker and reports their summed counters and spans', async () => {
    const u = await upstream('one');
    const port = await freePort();
    const edgePort = await freePort();
    const gw = await gatewayWithWorkers(2);
    const key = 'shop/local/web';
    await gw.update((t) => {
      t.services.push({ key, port, backends: [{ id: 'web-1', host: '127.0.0.1', port: u.port }] });
      t.edges.push({
        key: 'shop/local',
        port: edgePort,
        routes: [{ pathPrefix: '/', target: key, stripPrefix: false }],
      });
    });
    expect(workerPids(gw.pid()!)).toHaveLength(2);

    for (let i = 0; i < 20; i++) expect(await getFresh(port)).toEqual({ status: 200, text: 'one' });
    for (let i = 0; i < 10; i++) expect(await getFresh(edgePort)).toEqual({ status: 200, text: 'one' });
    // Each worker has its own keep-alive pool: two source ports at the upstream = both workers served.
    expect(u.sourcePorts.size).toBe(2);

    const traffic = (await gw.traffic()).find((s) => s.key === key)!;
    const stable = traffic.tracks.find((t) => t.track === 'stable')!;
    expect(stable.requests).toBe(30);
    expect(stable.latencyCounts.reduce((a, b) => a + b, 0)).toBe(30);
    expect(traffic.routes?.[0]?.tracks.find((t) => t.track === 'stable')?.requests).toBe(10);

    const spanIds = new Set<string>();
    await eventually(async () => {
      const batch = await gw.spans(7);
      expect(batch!.spans.length).toBeLessThanOrEqual(7);
      for (const s of batch!.spans) spanIds.add(s.spanId);
      return spanIds.size === 30;
    }, '30 spans from the two workers');
    expect((await gw.spans(100))!.spans).toEqual([]);
  });

  it('acknowledges a table only once every worker serves it, and replaces a worker that dies', async () => {
    const before = await upstream('before');
    const after = await upstream('after');
    const port = await freePort();
    const gw = await gatewayWithWorkers(2);
    const key = 'shop/local/web';
    await gw.update((t) => {
      t.services.push({ key, port, backends: [{ id: 'web-1', host: '127.0.0.1', port: before.port }] });
    });
    for (let i = 0; i < 4; i++) expect((await getFresh(port)).text).toBe('before');

    await gw.update((t) => {
      t.services[0]!.backends = [{ id: 'web-2', host: '127.0.0.1', port: after.port }];
    });
    const hitsBefore = before.hits;
    for (let i = 0; i < 10; i++) expect(await getFresh(port)).toEqual({ status: 200, text: 'after' });
    expect(before.hits).toBe(hitsBefore);
    expect(after.sourcePorts.size).toBe(2);

    // Counters read before a worker dies (its last report) are carried on: the sums never go back.
    const requestsOf = async () => {
      const stable = (await gw.traffic()).find((s) => s.key === key)?.tracks.find((t) => t.track === 'stable');
      const listener = (await gw.stats())?.listeners.find((l) => l.port === port);
      return [stable?.requests, stable?.latencyCounts.reduce((a, b) => a + b, 0), listener?.requests];
    };
    expect(await requestsOf()).toEqual([14, 14, 14]);
    const [victim] = workerPids(gw.pid()!);
    process.kill(victim!, 'SIGKILL');
    await eventually(() => {
      const pids = workerPids(gw.pid()!);
      return pids.length === 2 && !pids.includes(victim!);
    }, 'a new worker in place of the killed one');
    // The new worker got the table: every fresh connection (round robin over both) is served.
    await eventually(async () => (await getFresh(port)).status === 200, 'the port to answer');
    const served = after.hits + before.hits;
    for (let i = 0; i < 10; i++) expect(await getFresh(port)).toEqual({ status: 200, text: 'after' });
    expect(after.hits + before.hits).toBe(served + 10);
    expect(await requestsOf()).toEqual([served + 10, served + 10, served + 10]);
  });

  it('takes spans from each worker in turn when the batch is smaller than what is queued', async () => {
    const u = await upstream('one');
    const port = await freePort();
    const gw = await gatewayWithWorkers(2);
    await gw.update((t) => {
      t.services.push({ key: 'shop/local/web', port, backends: [{ id: 'web-1', host: '127.0.0.1', port: u.port }] });
    });
    for (let i = 0; i < 8; i++) expect((await getFresh(port)).status).toBe(200);
    // Round robin: each worker served four (two upstream connections, one per worker's pool).
    expect(u.sourcePorts.size).toBe(2);
    await eventually(async () => (await gw.stats())?.spans?.queued === 8, 'eight queued spans');
    const workerOf = async () => {
      const [span] = (await gw.spans(1))!.spans;
      return u.spanPorts.get(span!.spanId);
    };
    const first = await workerOf();
    const second = await workerOf();
    expect(first).toBeDefined();
    expect(second).not.toBe(first);
  });
});

describe('gateway worker settings', () => {
  it('parses the worker count', () => {
    expect(parseWorkerCount(undefined, 4)).toBe(1);
    expect(parseWorkerCount('3', 4)).toBe(3);
    expect(parseWorkerCount('auto', 4)).toBe(4);
    expect(parseWorkerCount('0', 4)).toBeUndefined();
    expect(parseWorkerCount('two', 4)).toBeUndefined();
    expect(parseWorkerCount('0x10', 4)).toBeUndefined();
    expect(parseWorkerCount('1e1', 4)).toBeUndefined();
    expect(parseWorkerCount('65', 4)).toBeUndefined();
    expect(parseWorkerCount('auto', 128)).toBe(64);
  });

  it('refuses a bad BERTH_GATEWAY_WORKERS by name before any gateway starts', () => {
    expect(askedWorkers(undefined, undefined)).toBe(1);
    expect(askedWorkers(undefined, '2')).toBe(2);
    expect(askedWorkers(3, 'nonsense')).toBe(3);
    expect(() => askedWorkers(undefined, 'many')).toThrow(
      'BERTH_GATEWAY_WORKERS is "many": expected an integer from 1 to 64, or auto (one per core)',
    );
    expect(() => createGatewayControl({ home: '/nonexistent', workers: 0 })).toThrow('workers is 0');
  });

  it("gives each worker's rate-limit bucket its share of the rate and burst", () => {
    const p = new ServicePolicies('shop/local/web', 1 / 2);
    p.begin({ rateLimit: { requestsPerSecond: 10, burst: 5 } });
    p.commit();
    expect(p.service?.bucket?.requestsPerSecond).toBe(5);
    expect(p.service?.bucket?.burst).toBe(3);
  });
});
