import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalGatewayControl } from './control.js';
import { createGatewayControl } from './control.js';
import type { TcpListener } from './table.js';
import { client, echo } from './tcpTesting.js';
import { ensureGatewayBuilt, freePort, tempHome } from './testing.js';

let entry: string;
let home: { dir: string; remove(): Promise<void> };
const controls: LocalGatewayControl[] = [];
const servers: Awaited<ReturnType<typeof echo>>[] = [];

beforeAll(async () => {
  entry = ensureGatewayBuilt();
  home = await tempHome();
}, 60_000);

afterAll(async () => {
  for (const c of controls) await c.stop().catch(() => undefined);
  for (const s of servers) {
    for (const c of s.open) c.destroy();
    s.server.close();
  }
  await home?.remove();
});

describe('L4 addresses in the gateway process', () => {
  it('serves an L4 listener, is adopted by a second control with nothing reported missing, keeps open connections', async () => {
    const [a, b] = await Promise.all([echo('a'), echo('b')]);
    servers.push(a, b);
    const port = await freePort();
    const listener = (on: typeof servers): TcpListener => ({
      key: 'shop/local/redis',
      name: 'redis',
      port,
      graceMs: 5_000,
      backends: on.map((s) => ({ id: s.name, host: '127.0.0.1', port: s.port })),
    });
    const first = createGatewayControl({ home: home.dir, entry });
    controls.push(first);
    await first.ensureRunning();
    await first.update((t) => {
      t.tcp = [listener([a])];
      t.generation++;
    });
    expect(first.listenerErrors()).toEqual([]);
    const open = await client(port);
    expect(await open.ask('1')).toBe('a:1');

    // A restarted control plane adopts the gateway: the L4 listener is found serving.
    const second = createGatewayControl({ home: home.dir, entry });
    controls.push(second);
    await second.ensureRunning();
    expect(second.pid()).toBe(first.pid());
    expect(second.table().tcp).toEqual([listener([a])]);
    expect(second.listenerErrors()).toEqual([]);
    await second.update((t) => {
      t.tcp = [listener([a, b])];
      t.generation++;
    });
    expect(await open.ask('2')).toBe('a:2');
    open.s.destroy();
  });
});
