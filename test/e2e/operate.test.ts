/**
 * Operating a running app: scale a service, roll-restart one, read per-replica CPU and memory —
 * each a revision in the history, and a later deploy neither restarts again nor keeps a stale scale
 * hidden (the plan shows it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ROOT, startBerth, type Berth } from './harness.js';

interface Replica {
  id: string;
  pid?: number;
  phase: string;
  restarts: number;
  cpuPercent?: number;
  memoryBytes?: number;
}
interface Status {
  services: { service: string; readyReplicas: number; desiredReplicas: number; replicas: Replica[] }[];
}
interface Release {
  revision: number;
  kind: string;
  status: string;
  message: string | null;
}

const SHOP = join(ROOT, 'examples/shop');
let berth: Berth;
const pids = async (service: string): Promise<number[]> =>
  (await berth.json<Status>(['status', 'shop'])).services
    .find((s) => s.service === service)!
    .replicas.map((r) => r.pid!)
    .sort();

beforeAll(async () => {
  berth = await startBerth();
  expect((await berth.cli(['deploy', SHOP])).code).toBe(0);
});
afterAll(async () => {
  await berth?.teardown();
});

describe('operating a running app', () => {
  it('scales a service up and down as new revisions', async () => {
    const up = await berth.cli(['scale', 'shop/orders', '4']);
    expect(up.code, up.stderr).toBe(0);
    let st = await berth.json<Status>(['status', 'shop']);
    expect(st.services.find((s) => s.service === 'orders')).toMatchObject({ readyReplicas: 4, desiredReplicas: 4 });
    const before = await pids('inventory');
    const down = await berth.cli(['scale', 'shop/orders', '1']);
    expect(down.code).toBe(0);
    st = await berth.json<Status>(['status', 'shop']);
    expect(st.services.find((s) => s.service === 'orders')!.replicas).toHaveLength(1);
    expect(await pids('inventory')).toEqual(before); // nothing else touched
    const [last] = await berth.json<Release[]>(['history', 'shop']);
    expect(last).toMatchObject({ kind: 'scale', status: 'succeeded', message: 'scale orders from 4 to 1' });
  });

  it('rejects a scale of an unknown service or a bad count with a clear message', async () => {
    const unknown = await berth.cli(['scale', 'shop/payments', '2']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('shop has no service payments (services: inventory, orders, web)');
    const bad = await berth.cli(['scale', 'shop/orders', 'many']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"many" is not a whole number');
  });

  it('restarts one service with new replicas, leaving the others alone', async () => {
    const orders = await pids('orders');
    const web = await pids('web');
    const r = await berth.cli(['restart', 'shop/orders']);
    expect(r.code, r.stderr).toBe(0);
    const after = await pids('orders');
    expect(after).toHaveLength(orders.length);
    expect(after.some((p) => orders.includes(p))).toBe(false);
    expect(await pids('web')).toEqual(web);
    const [last] = await berth.json<Release[]>(['history', 'shop']);
    expect(last).toMatchObject({ kind: 'restart', status: 'succeeded' });
  });

  it('a later deploy keeps the restart, and shows the scale it resets', async () => {
    const plan = await berth.cli(['plan', SHOP]);
    expect(plan.stdout).toMatch(/~ orders\s+scale 1 → 2, no restart/);
    expect(plan.stdout).toMatch(/= web\s+unchanged/);
    const orders = await pids('orders');
    expect((await berth.cli(['deploy', SHOP])).code).toBe(0);
    const after = await pids('orders');
    expect(after).toHaveLength(2);
    expect(after).toContain(orders[0]); // scaled up, not restarted
  });

  it('reports CPU and memory per replica', async () => {
    const st = await berth.json<Status>(['status', 'shop']);
    for (const s of st.services)
      for (const r of s.replicas) {
        expect(r.memoryBytes, `${r.id} memory`).toBeGreaterThan(1024 * 1024);
        expect(r.cpuPercent, `${r.id} cpu`).toBeGreaterThanOrEqual(0);
      }
    const table = await berth.cli(['status', 'shop', '--replicas']);
    expect(table.stdout).toMatch(/orders-\S+\s+ready\s+\d+\s+\d+\s+0\s+\d+\.\d%\s+\d+Mi/);
  });
});
