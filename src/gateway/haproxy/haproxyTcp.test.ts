import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingTable, TcpListener } from '../table.js';
import { freePort, tempHome } from '../testing.js';
import { client, echo } from '../tcpTesting.js';
import type { HaproxyModel } from './config.js';
import { renderConfig, structureKey } from './config.js';
import { findHaproxy } from './haproxyProcess.js';
import { HaproxyListeners } from './haproxyListeners.js';
import { assignSlots } from './slots.js';

let home: { dir: string; remove(): Promise<void> };
let hx: HaproxyListeners;
let generation = 0;
const servers: Awaited<ReturnType<typeof echo>>[] = [];

beforeAll(async () => {
  home = await tempHome();
  hx = new HaproxyListeners({ dir: join(home.dir, 'haproxy'), removalWaitMs: 3_000, drainTimeoutMs: 2_000 });
});

afterAll(async () => {
  await hx?.close();
  for (const s of servers) {
    for (const c of s.open) c.destroy();
    s.server.close();
  }
  await home?.remove();
});

function model(dir: string): HaproxyModel {
  const redis = assignSlots('shop/local/redis:redis', undefined, [
    { id: 'r1', host: '127.0.0.1', port: 4001 },
    { id: 'r2', host: '127.0.0.1', port: 4002 },
  ]).backend;
  redis.mode = 'tcp';
  const web = assignSlots('shop/local/web', undefined, [{ id: 'w1', host: '127.0.0.1', port: 4101 }]).backend;
  return {
    dir,
    services: [{ key: 'shop/local/web', port: 18204 }],
    edges: [],
    backends: [web, redis],
    tcp: [{ key: 'shop/local/redis:redis', port: 18205 }],
  };
}

describe('HAProxy mode tcp', () => {
  it('renders an L4 frontend and a leastconn backend with slots, after defaults of their own', () => {
    const cfg = renderConfig(model('/run/berth/gateway/haproxy'));
    const tcpPart = cfg.slice(cfg.lastIndexOf('defaults'));
    expect(tcpPart).toContain('  mode tcp\n');
    expect(tcpPart).toContain('frontend f.shop:2flocal:2fredis:3aredis\n  bind 127.0.0.1:18205\n');
    expect(tcpPart).toMatch(/backend s\.shop:2flocal:2fredis:3aredis\n {2}mode tcp\n {2}balance leastconn\n/);
    expect(tcpPart).toContain('server r1 127.0.0.1:4001\n');
    // The HTTP frontend and backend come before, under the HTTP defaults.
    expect(cfg.indexOf('frontend f.shop:2flocal:2fweb')).toBeLessThan(cfg.lastIndexOf('defaults'));
    expect(tcpPart).not.toContain('http-');
    // A new L4 address is a structure change (a reload); a replica moving between slots is not.
    const m = model('/x');
    const moved = model('/x');
    moved.backends[1]!.stable[0] = { id: 'r9', host: '127.0.0.1', port: 4009 };
    expect(structureKey(moved)).toBe(structureKey(m));
    expect(structureKey({ ...m, tcp: [] })).not.toBe(structureKey(m));
  });

  it('is accepted by haproxy -c', () => {
    const binary = findHaproxy();
    expect(binary, 'haproxy must be installed (apt-get install haproxy)').toBeDefined();
    const file = join(home.dir, 'haproxy-tcp.cfg');
    writeFileSync(file, renderConfig(model(home.dir)));
    const out = execFileSync(binary!, ['-c', '-f', file], { encoding: 'utf8' });
    expect(out).toContain('Configuration file is valid');
  });

  it('balances connections, drains a leaving replica without cutting its connections, never drops a staying one', async () => {
    const [a, b, c] = await Promise.all([echo('a'), echo('b'), echo('c')]);
    servers.push(a, b, c);
    const port = await freePort();
    const tcp = (on: (typeof servers)[number][]): RoutingTable => ({
      generation: ++generation,
      services: [],
      edges: [],
      tcp: [
        {
          key: 'shop/local/redis',
          name: 'redis',
          port,
          graceMs: 5_000,
          backends: on.map((s) => ({ id: s.name, host: '127.0.0.1', port: s.port })),
        } satisfies TcpListener,
      ],
    });
    expect(await hx.apply(tcp([a, b]))).toEqual([]);
    // Listed among the listeners (a restarted control checks what the gateway serves against them).
    expect(hx.stats()).toContainEqual(expect.objectContaining({ kind: 'tcp', key: 'shop/local/redis:redis', port }));
    const clients = await Promise.all(Array.from({ length: 4 }, () => client(port)));
    const owners = await Promise.all(clients.map(async (x) => (await x.ask('hi')).split(':')[0]!));
    // Least connections: two each.
    expect(owners.filter((o) => o === 'a')).toHaveLength(2);
    expect(owners.filter((o) => o === 'b')).toHaveLength(2);

    // b leaves, c comes (no reload: slots through the admin socket).
    const pid = hx.pid();
    expect(await hx.apply(tcp([a, c]))).toEqual([]);
    expect(hx.pid()).toBe(pid);
    for (let i = 0; i < 4; i++) {
      const x = await client(port);
      expect((await x.ask('new')).split(':')[0]).not.toBe('b');
      x.s.destroy();
    }
    // Every open connection still answers: b's are drained, not cut; a's untouched.
    for (const [i, x] of clients.entries()) expect(await x.ask('again')).toBe(`${owners[i]}:again`);
    // When the leaving replica stops, its connections end; a's stay.
    for (const s of b.open) s.destroy();
    b.server.close();
    for (const [i, x] of clients.entries()) if (owners[i] === 'b') await x.closed;
    for (const [i, x] of clients.entries()) if (owners[i] === 'a') expect(await x.ask('last')).toBe('a:last');
    for (const x of clients) x.s.destroy();
    // The listener counts its connections as the Node plane's does (HAProxy has no requests in mode tcp):
    // 4 clients, then 4 one-off connections, as of the poller's next read.
    await expect.poll(() => hx.stats().find((l) => l.kind === 'tcp')?.requests, { timeout: 10_000 }).toBe(8);
    expect(await hx.apply({ generation: ++generation, services: [], edges: [] })).toEqual([]);
  });
});
