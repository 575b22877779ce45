import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../testing.js';
import type { HaproxyModel } from './config.js';
import { isNativeEdge, isNativeService, proxyName, renderConfig, structureKey } from './config.js';
import { findHaproxy } from './haproxyProcess.js';
import { assignSlots, minSlots } from './slots.js';

let home: { dir: string; remove(): Promise<void> };
beforeAll(async () => {
  home = await tempHome();
});
afterAll(async () => {
  await home?.remove();
});

function model(): HaproxyModel {
  const orders = assignSlots('shop/local/orders', undefined, [
    { id: 'o1', host: '127.0.0.1', port: 4001 },
    { id: 'o2', host: '127.0.0.1', port: 4002, track: 'canary' },
  ]).backend;
  const web = assignSlots('shop/local/web', undefined, [{ id: 'w1', host: '127.0.0.1', port: 4101 }]).backend;
  web.nodePort = 5001;
  return {
    dir: '/run/berth/gateway/haproxy',
    services: [
      { key: 'shop/local/orders', port: 18201 },
      { key: 'shop/local/web', port: 18204 },
    ],
    edges: [
      {
        key: 'shop/local',
        port: 18202,
        routes: [
          { pathPrefix: '/', target: 'shop/local/web', stripPrefix: false },
          { pathPrefix: '/api/', target: 'shop/local/orders', stripPrefix: true },
          { host: 'Admin.Shop:80', pathPrefix: '/', target: 'shop/local/gone', stripPrefix: false },
        ],
      },
      { key: 'other/local', port: 18203, nodePort: 5002 },
    ],
    backends: [orders, web],
  };
}

describe('renderConfig', () => {
  it('renders frontends, route rules in router order, and slot backends', () => {
    const cfg = renderConfig(model());
    expect(cfg).toMatchSnapshot();
    // Host routes are tried before host-less ones, then the longest prefix.
    const order = [...cfg.matchAll(/set-var\(txn\.route\) int\((\d)\) if (.*)/g)].map((m) => m[2]);
    expect(order[0]).toContain("var(txn.host) -m str 'admin.shop'");
    expect(order[1]).toContain("path -m beg '/api/'");
    expect(order[2]).not.toContain('path');
    // A route to a service that is not in the table answers 503 like the Node edge.
    expect(cfg).toContain('string "no ready replicas for shop/local/gone\\n" if { var(txn.route) -m int 0 }');
    // Node-mode backend: replicas kept but disabled, the Node listener serves.
    expect(cfg).toMatch(/server r1 127\.0\.0\.1:4101 disabled\n/);
    expect(cfg).toContain('server node 127.0.0.1:5001\n');
    // Canary replicas are backups of the stable ones.
    expect(cfg).toContain('server c1 127.0.0.1:4002 backup\n');
    expect(cfg.match(/server r\d+ 127\.0\.0\.1:1 disabled/g)!.length).toBe(2 * (minSlots - 1));
  });

  it('is accepted by haproxy -c', () => {
    const binary = findHaproxy();
    expect(binary, 'haproxy must be installed (apt-get install haproxy)').toBeDefined();
    const file = join(home.dir, 'haproxy.cfg');
    writeFileSync(file, renderConfig({ ...model(), dir: home.dir }));
    const out = execFileSync(binary!, ['-c', '-f', file], { encoding: 'utf8' });
    expect(out).toContain('Configuration file is valid');
  });

  it('structureKey ignores which replica fills a slot, not the slot count or the listeners', () => {
    const m = model();
    const moved = model();
    moved.backends[0]!.stable[0] = { id: 'o9', host: '127.0.0.1', port: 4009 };
    moved.backends[1]!.nodePort = undefined;
    expect(structureKey(moved)).toBe(structureKey(m));
    const grown = model();
    grown.backends[0]!.stable.push(undefined);
    expect(structureKey(grown)).not.toBe(structureKey(m));
    const portMoved = model();
    portMoved.services[0]!.port = 18299;
    expect(structureKey(portMoved)).not.toBe(structureKey(m));
  });

  it('escapes keys into HAProxy-safe names', () => {
    expect(proxyName('s', 'shop/local/orders')).toBe('s.shop:2flocal:2forders');
    expect(proxyName('f', 'a b"c')).toMatch(/^f\.[A-Za-z0-9_.:-]+$/);
  });
});

describe('native or Node', () => {
  const svc = { key: 'a/b/c', port: 1, backends: [] };
  it('a service is native without a split that can pick the canary and without a policy', () => {
    expect(isNativeService(svc)).toBe(true);
    expect(isNativeService({ ...svc, split: { canaryWeight: 0 } })).toBe(true);
    expect(isNativeService({ ...svc, split: { canaryWeight: 10 } })).toBe(false);
    expect(isNativeService({ ...svc, split: { canaryWeight: 0, match: { header: 'x-ab', value: 'b' } } })).toBe(false);
    expect(isNativeService({ ...svc, policy: { retries: { attempts: 2 } } as never })).toBe(false);
  });
  it('an edge is native when no route has a policy and every known target is native', () => {
    const route = { pathPrefix: '/', target: 'a/b/c', stripPrefix: false };
    expect(isNativeEdge([route], new Set(['a/b/c']), new Set(['a/b/c']))).toBe(true);
    expect(isNativeEdge([route], new Set(), new Set(['a/b/c']))).toBe(false);
    expect(isNativeEdge([route], new Set(), new Set())).toBe(true);
    expect(
      isNativeEdge([{ ...route, policy: { timeoutMs: 5 } as never }], new Set(['a/b/c']), new Set(['a/b/c'])),
    ).toBe(false);
  });
});

describe('assignSlots', () => {
  const b = (
    id: string,
    port: number,
    track?: 'canary',
  ): { id: string; host: string; port: number; track?: 'canary' } => ({
    id,
    host: '127.0.0.1',
    port,
    ...(track ? { track } : {}),
  });
  it('keeps replicas in their slots, never reuses a slot freed by the same change, grows when full', () => {
    const first = assignSlots('k', undefined, [b('a', 1), b('b', 2)]);
    expect(first.backend.stable.slice(0, 2).map((s) => s?.id)).toEqual(['a', 'b']);
    expect(first.backend.stable).toHaveLength(minSlots);
    const second = assignSlots('k', first.backend, [b('b', 2), b('c', 3)]);
    expect(second.freed).toEqual(['r1']);
    expect(second.backend.stable.map((s) => s?.id).slice(0, 3)).toEqual([undefined, 'b', 'c']);
    expect(second.grew).toBe(false);
    const third = assignSlots('k', second.backend, [b('b', 2), b('c', 3), b('d', 4)]);
    expect(third.backend.stable[0]?.id).toBe('d'); // free since the change before
    const many = Array.from({ length: minSlots + 1 }, (_, i) => b(`m${i}`, 100 + i));
    const grown = assignSlots('k', third.backend, many);
    expect(grown.grew).toBe(true);
    expect(grown.backend.stable.length).toBeGreaterThanOrEqual(2 * (minSlots + 1));
    expect(assignSlots('k', undefined, [b('x', 9, 'canary')]).backend.canary[0]?.id).toBe('x');
  });
});
