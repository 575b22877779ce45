/**
 * The call graph from real traffic, end to end: the example shop on a real control plane and
 * gateway, a known amount of traffic through its edge (purchases web → orders → inventory, unknown
 * items, stock reads, orders with a broken body that orders answers 502), and one call to orders'
 * address carrying an inventory hop's traceparent — what inventory calling orders looks like to the
 * gateway. `berth graph` then has exactly the edges the traffic took, with its counts and errors,
 * the undeclared inventory → orders call marked, and web → inventory (declared; only the home page,
 * not sent here, calls it) marked unused.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CallGraph } from '../../src/model/callGraph.js';
import type { TraceView } from '../../src/model/trace.js';
import { freePort } from '../../src/gateway/testing.js';
import { copyExample, startBerth, waitFor, type Berth } from './harness.js';

let berth: Berth;
let shop: string;

beforeAll(async () => {
  berth = await startBerth();
  shop = await copyExample('shop');
});
afterAll(async () => {
  await berth?.teardown();
  if (shop) await rm(shop, { recursive: true, force: true });
});

const BUYS = 6;
const UNKNOWN_ITEMS = 2;
const STOCK_READS = 4;
const BROKEN_ORDERS = 3;
const UNDECLARED = 1;
const TOTAL = 3 * (BUYS + UNKNOWN_ITEMS) + STOCK_READS + BROKEN_ORDERS + UNDECLARED;

describe('berth graph', () => {
  it('draws exactly the calls the traffic made, with their counts and errors, beside dependsOn', async () => {
    const port = await freePort();
    expect((await berth.cli(['env', 'create', 'cg', '--edge-port', String(port)])).code).toBe(0);
    const deployed = await berth.cli(['deploy', shop, '--env', 'cg', '-m', 'graph']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const edge = `http://127.0.0.1:${port}`;

    const traceId = '7bf92f3577b34da6a3ce929d0e0e4739';
    const statuses: number[] = [];
    for (let i = 0; i < BUYS; i++) {
      const headers: Record<string, string> = i === 0 ? { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } : {};
      statuses.push((await fetch(`${edge}/buy?item=apple`, { method: 'POST', headers })).status);
    }
    for (let i = 0; i < UNKNOWN_ITEMS; i++)
      statuses.push((await fetch(`${edge}/buy?item=kiwi`, { method: 'POST' })).status);
    for (let i = 0; i < STOCK_READS; i++) statuses.push((await fetch(`${edge}/api/inventory`)).status);
    for (let i = 0; i < BROKEN_ORDERS; i++)
      statuses.push((await fetch(`${edge}/api/orders`, { method: 'POST', body: '{not json' })).status);
    expect(statuses).toEqual([
      ...Array<number>(BUYS).fill(201),
      ...Array<number>(UNKNOWN_ITEMS).fill(404),
      ...Array<number>(STOCK_READS).fill(200),
      ...Array<number>(BROKEN_ORDERS).fill(502),
    ]);

    // inventory calling orders, forwarding traceparent: a request to orders' address whose parent
    // is the inventory hop of the first purchase.
    const trace = await waitFor('the purchase trace', async () => {
      const r = await berth.cli(['trace', traceId, '-o', 'json']);
      const view = r.code === 0 ? (JSON.parse(r.stdout) as TraceView) : undefined;
      return view && view.spans.length === 3 ? view : undefined;
    });
    const inventorySpan = trace.spans.find((s) => s.service === 'shop/cg/inventory')!;
    const table = JSON.parse(await readFile(join(berth.home, 'gateway/table.json'), 'utf8')) as {
      services: { key: string; port: number }[];
    };
    const orders = table.services.find((s) => s.key === 'shop/cg/orders')!.port;
    const undeclared = await fetch(`http://127.0.0.1:${orders}/api/orders`, {
      headers: { traceparent: `00-${traceId}-${inventorySpan.spanId}-01` },
    });
    expect(undeclared.status).toBe(200);

    // The collector takes the gateway's spans every second: wait for all of them, then once more
    // to be sure no other hop comes.
    const graph = async (): Promise<CallGraph> => berth.json<CallGraph>(['graph', 'shop', '-e', 'cg', '-o', 'json']);
    await waitFor('every hop in the graph', async () => {
      const g = await graph();
      return g.edges.reduce((n, e) => n + e.count, 0) >= TOTAL ? g : undefined;
    });
    await new Promise((r) => setTimeout(r, 1500));
    const g = await graph();
    expect(g.edges.map((e) => [e.from, e.to, e.count, e.errors, e.mark])).toEqual([
      ['(outside)', 'web', BUYS + UNKNOWN_ITEMS, 0, undefined],
      ['orders', 'inventory', BUYS + UNKNOWN_ITEMS, 0, undefined],
      ['web', 'orders', BUYS + UNKNOWN_ITEMS, 0, undefined],
      ['(outside)', 'inventory', STOCK_READS, 0, undefined],
      ['(outside)', 'orders', BROKEN_ORDERS, BROKEN_ORDERS, undefined],
      ['inventory', 'orders', UNDECLARED, 0, 'undeclared'],
    ]);
    const broken = g.edges.find((e) => e.from === '(outside)' && e.to === 'orders')!;
    expect(broken.errorRate).toBe(1);
    expect(broken.ratePerSec).toBeCloseTo(BROKEN_ORDERS / 900, 3);
    for (const e of g.edges) {
      expect(e.p50Ms).toBeGreaterThan(0);
      expect(e.p99Ms).toBeGreaterThanOrEqual(e.p50Ms);
    }
    // A hop includes the hops it made: web's purchase takes at least as long as the orders hop inside it.
    const webHop = g.edges.find((e) => e.to === 'web')!;
    expect(webHop.p99Ms).toBeGreaterThanOrEqual(g.edges.find((e) => e.from === 'web')!.p50Ms);
    expect(g.declared).toEqual([
      { from: 'orders', to: 'inventory', called: true },
      { from: 'web', to: 'orders', called: true },
      { from: 'web', to: 'inventory', called: false },
    ]);
    expect(g.differences).toEqual([
      { from: 'inventory', to: 'orders', mark: 'undeclared' },
      { from: 'web', to: 'inventory', mark: 'unused' },
    ]);

    const text = await berth.cli(['graph', 'shop', '-e', 'cg', '--window', '1h']);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^shop in cg, last 1h \\(since .+\\): ${TOTAL} requests over 6 calls; dependsOn of revision 1: 1 undeclared, 1 unused$`,
      ),
    );
    expect(lines[1]).toMatch(/^CALLER +CALLEE +REQUESTS +RATE +ERRORS +P50 +P99 +MARK$/);
    expect(lines[2]).toMatch(/^\(outside\) +web +8 +0\.00222\/s +0\.0% +[0-9.]+ m?s +[0-9.]+ m?s +-$/);
    expect(lines.find((l) => l.startsWith('(outside)  orders'))).toMatch(/ 3 +0\.000833\/s +100\.0% /);
    expect(lines.find((l) => l.startsWith('inventory'))).toMatch(/^inventory +orders +1 .* undeclared$/);
    expect(lines.at(-1)).toMatch(/^web +inventory +0 +- +- +- +- +unused$/);

    const yaml = await berth.cli(['graph', 'shop', '-e', 'cg', '-o', 'yaml']);
    expect(yaml.code, yaml.stderr).toBe(0);
    const asYaml = parse(yaml.stdout) as CallGraph;
    expect(asYaml.edges).toEqual(g.edges);
    expect(asYaml.differences).toEqual(g.differences);

    const bad = await berth.cli(['graph', 'shop', '-e', 'cg', '--window', '3d']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('window');
    expect(bad.stderr).toContain('longer than the traces are kept (24h)');
    const unknownApp = await berth.cli(['graph', 'blog', '-e', 'cg']);
    expect(unknownApp.code).not.toBe(0);
    expect(unknownApp.stderr).toContain('no app blog in environment cg');
  });
});
