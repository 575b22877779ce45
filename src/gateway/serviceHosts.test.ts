/**
 * RoutingTable.serviceHosts on both data planes: service addresses (HTTP and L4) also listen on
 * Docker's bridge address, the one its containers reach this machine at (`host-gateway`), asked of
 * the test dockerd as the runtime asks it; the edge stays on 127.0.0.1; a host that cannot be bound
 * is a listener error naming it while loopback keeps serving; dropping the hosts closes them.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectEngine, serviceHostsOf } from '../runtime/container/engine.js';
import { HaproxyListeners } from './haproxy/haproxyListeners.js';
import { Listeners } from './listeners.js';
import type { ListenerError, RoutingTable } from './table.js';
import { client, echo } from './tcpTesting.js';
import { freePort, startUpstream, tempHome, type Upstream } from './testing.js';

interface DataPlane {
  apply(table: RoutingTable): Promise<ListenerError[]>;
  close(): Promise<void>;
}

/** What `host`:`port` answers to GET / on a new connection (the upstream's name), or the connection's error code. */
function get(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 3_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve(res.statusCode === 200 ? ((JSON.parse(body) as { name?: string }).name ?? body) : `${res.statusCode}`),
      );
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** What `host`:`port` echoes to `ping` over TCP, or the connection's error code. */
async function tcp(host: string, port: number): Promise<string> {
  try {
    const c = await client(port, host);
    const answer = await c.ask('ping');
    c.s.destroy();
    return answer;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
}

function serviceHostsOn(name: string, make: (dir: string) => DataPlane): void {
  describe(`service hosts (${name})`, () => {
    let bridge: string;
    let plane: DataPlane;
    let home: { dir: string; remove(): Promise<void> };
    let api: Upstream;
    let redis: Awaited<ReturnType<typeof echo>>;
    let ports: { api: number; redis: number; edge: number };
    let generation = 0;

    beforeAll(async () => {
      [bridge] = await serviceHostsOf(await connectEngine({ BERTH_CONTAINER_SOCKET: inject('dockerSocket') }));
      home = await tempHome();
      plane = make(home.dir);
      api = await startUpstream('api');
      redis = await echo('redis');
      ports = { api: await freePort(), redis: await freePort(), edge: await freePort() };
    });
    afterAll(async () => {
      await plane?.close();
      await api?.close();
      for (const c of redis?.open ?? []) c.destroy();
      redis?.server.close();
      await home?.remove();
    });

    const table = (serviceHosts?: string[]): RoutingTable => ({
      generation: ++generation,
      services: [
        { key: 'shop/local/api', port: ports.api, backends: [{ id: 'a1', host: '127.0.0.1', port: api.port }] },
      ],
      edges: [
        {
          key: 'shop/local',
          port: ports.edge,
          routes: [{ pathPrefix: '/', target: 'shop/local/api', stripPrefix: false }],
        },
      ],
      tcp: [
        {
          key: 'shop/local/cache',
          name: 'redis',
          port: ports.redis,
          graceMs: 1_000,
          backends: [{ id: 'r1', host: '127.0.0.1', port: redis.port }],
        },
      ],
      ...(serviceHosts ? { serviceHosts } : {}),
    });

    it("listens on Docker's bridge address for service addresses only while the table names it", async () => {
      expect(bridge).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(await plane.apply(table())).toEqual([]);
      expect(await get('127.0.0.1', ports.api)).toBe('api');
      expect(await get(bridge, ports.api)).toBe('ECONNREFUSED');

      expect(await plane.apply(table([bridge]))).toEqual([]);
      expect(await get(bridge, ports.api)).toBe('api');
      expect(await tcp(bridge, ports.redis)).toBe('redis:ping');
      expect(await get('127.0.0.1', ports.api)).toBe('api');
      expect(await tcp('127.0.0.1', ports.redis)).toBe('redis:ping');
      // The edge is not a service address: loopback only.
      expect(await get('127.0.0.1', ports.edge)).toBe('api');
      expect(await get(bridge, ports.edge)).toBe('ECONNREFUSED');

      expect(await plane.apply(table())).toEqual([]);
      expect(await get(bridge, ports.api)).toBe('ECONNREFUSED');
      expect(await tcp(bridge, ports.redis)).toBe('ECONNREFUSED');
      expect(await get('127.0.0.1', ports.api)).toBe('api');
    });

    it('says which host cannot be bound, and keeps serving on 127.0.0.1', async () => {
      // TEST-NET-1: no interface of this machine has it.
      const errors = await plane.apply(table(['192.0.2.201']));
      expect(errors.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
        { key: 'shop/local/api', port: ports.api, message: '192.0.2.201: EADDRNOTAVAIL' },
        { key: 'shop/local/cache:redis', port: ports.redis, message: '192.0.2.201: EADDRNOTAVAIL' },
      ]);
      expect(await get('127.0.0.1', ports.api)).toBe('api');
      expect(await tcp('127.0.0.1', ports.redis)).toBe('redis:ping');
      expect(await plane.apply(table())).toEqual([]);
    });
  });
}

serviceHostsOn('Node listeners', () => new Listeners({ drainTimeoutMs: 1_000, removalWaitMs: 500 }));
serviceHostsOn(
  'HAProxy',
  (dir) => new HaproxyListeners({ dir: `${dir}/haproxy`, drainTimeoutMs: 1_000, removalWaitMs: 500 }),
);
