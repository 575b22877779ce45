import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../runtime/local/ports.js';
import type { TcpListener } from './table.js';
import { TcpListeners } from './tcpListeners.js';
import { client, echo } from './tcpTesting.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(names: string[]): Promise<{
  listeners: TcpListeners;
  port: number;
  servers: Awaited<ReturnType<typeof echo>>[];
  table: (on: string[], graceMs?: number) => TcpListener[];
}> {
  const servers = await Promise.all(names.map(echo));
  cleanup.push(() => {
    for (const s of servers) {
      for (const c of s.open) c.destroy();
      s.server.close();
    }
  });
  const listeners = new TcpListeners({ drainTimeoutMs: 2_000 });
  cleanup.push(() => listeners.close());
  const port = await freePort();
  const table = (on: string[], graceMs = 10_000): TcpListener[] => [
    {
      key: 'shop/local/redis',
      name: 'redis',
      port,
      graceMs,
      backends: servers
        .filter((s) => on.includes(s.name))
        .map((s) => ({ id: s.name, host: '127.0.0.1', port: s.port })),
    },
  ];
  return { listeners, port, servers, table };
}

describe('TcpListeners (the Node L4 data plane)', () => {
  it('balances connections over the ready backends by fewest open connections', async () => {
    const { listeners, port, table } = await setup(['a', 'b', 'c']);
    expect(await listeners.apply(table(['a', 'b', 'c']))).toEqual([]);
    const clients = await Promise.all(Array.from({ length: 12 }, () => client(port)));
    cleanup.push(() => clients.forEach((c) => c.s.destroy()));
    const answers = await Promise.all(clients.map((c) => c.ask('ping')));
    const per = new Map<string, number>();
    for (const a of answers) per.set(a.split(':')[0]!, (per.get(a.split(':')[0]!) ?? 0) + 1);
    expect(Object.fromEntries(per)).toEqual({ a: 4, b: 4, c: 4 });
    expect(answers.every((a) => a.endsWith(':ping'))).toBe(true);
    // Stats count connections per backend.
    expect(listeners.stats()[0]).toMatchObject({ kind: 'tcp', key: 'shop/local/redis:redis', requests: 12 });
  });

  it('sends no new connection to a leaving backend, keeps its open ones for the grace period, then closes them', async () => {
    const { listeners, port, table } = await setup(['a', 'b']);
    await listeners.apply(table(['a']));
    const old = await client(port);
    cleanup.push(() => void old.s.destroy());
    expect(await old.ask('1')).toBe('a:1');
    const t0 = Date.now();
    await listeners.apply(table(['b'], 600));
    // New connections go to b only.
    for (let i = 0; i < 3; i++) {
      const c = await client(port);
      expect(await c.ask('x')).toBe('b:x');
      c.s.destroy();
    }
    // The open connection to a still works within the grace period...
    expect(await old.ask('2')).toBe('a:2');
    // ...and is closed when it ends.
    await old.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
  });

  it('never drops a connection to a backend that stays while others come and go', async () => {
    const { listeners, port, table } = await setup(['a', 'b', 'c']);
    await listeners.apply(table(['a', 'b'], 100));
    const first = await client(port);
    const second = await client(port);
    cleanup.push(() => [first, second].forEach((c) => c.s.destroy()));
    const owners = [(await first.ask('1')).split(':')[0], (await second.ask('1')).split(':')[0]].sort();
    expect(owners).toEqual(['a', 'b']);
    const onA = (await first.ask('q')).startsWith('a:') ? first : second;
    const onB = onA === first ? second : first;
    // b leaves, c comes: a's connection is untouched, even long after b's grace period.
    await listeners.apply(table(['a', 'c'], 100));
    await onB.closed;
    await new Promise((r) => setTimeout(r, 300));
    expect(await onA.ask('still')).toBe('a:still');
    // a leaves and comes back within its grace period (a readiness flap): its connection stays.
    await listeners.apply(table(['c'], 100));
    await listeners.apply(table(['a', 'b', 'c'], 100));
    await new Promise((r) => setTimeout(r, 300));
    expect(await onA.ask('again')).toBe('a:again');
  });

  it('retries a backend that refuses on another one, and closes the client when none is ready', async () => {
    const { listeners, port, servers, table } = await setup(['a', 'b']);
    await listeners.apply(table(['a', 'b']));
    servers[0]!.server.close();
    for (let i = 0; i < 4; i++) {
      const c = await client(port);
      expect(await c.ask('r')).toBe('b:r');
      c.s.destroy();
    }
    await listeners.apply(table([]));
    const c = await client(port);
    await c.closed;
  });

  it('reports a port it cannot bind', async () => {
    const { listeners, table } = await setup(['a']);
    const holder = createServer();
    const [wanted] = table(['a']);
    await new Promise<void>((r) => holder.listen(wanted!.port, '127.0.0.1', r));
    cleanup.push(() => void holder.close());
    expect(await listeners.apply([wanted!])).toEqual([
      { key: 'shop/local/redis:redis', port: wanted!.port, message: 'EADDRINUSE' },
    ]);
  });
});
