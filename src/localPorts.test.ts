import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { bindError, freePort, portPool } from './localPorts.js';

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function hold(port: number): Promise<void> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', resolve);
  });
  held.push(s);
}

/** A run of `n` ports below the ephemeral range that all bind now (a pool of this test's own). */
async function freeRun(n: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const low = 10_000 + Math.floor(Math.random() * 9_000);
    const checks = await Promise.all(Array.from({ length: n }, (_, i) => bindError(low + i)));
    if (checks.every((c) => c === undefined)) return low;
  }
  throw new Error(`no run of ${n} free ports found`);
}

describe('portPool', () => {
  it('is 20000-32000 below the usual ephemeral range, cut below a lower one, none when nothing is left', () => {
    expect(portPool(undefined, '32768\t60999\n')).toEqual({ low: 20_000, high: 32_000 });
    expect(portPool('', '30000 60999')).toEqual({ low: 20_000, high: 29_999 });
    expect(portPool(undefined, '1024 65535')).toBeUndefined();
    expect(portPool(undefined, undefined)).toEqual({ low: 20_000, high: 32_000 });
  });

  it('takes BERTH_PORT_RANGE as given and names it when it is not <low>-<high>', () => {
    expect(portPool('40000-40010', '1024 65535')).toEqual({ low: 40_000, high: 40_010 });
    for (const bad of ['abc', '40010-40000', '80-90', '40000-70000', '40000'])
      expect(() => portPool(bad)).toThrow(/BERTH_PORT_RANGE="[^"]*": expected <low>-<high> within 1024-65535/);
  });
});

describe('freePort', () => {
  it('hands out every port of its pool once before any again, skipping one that is held', async () => {
    const low = await freeRun(8);
    const pool = { low, high: low + 7 };
    await hold(low + 3);
    const picks: number[] = [];
    for (let i = 0; i < 7; i++) picks.push(await freePort(pool));
    expect(new Set(picks).size).toBe(7);
    for (const p of picks) expect(p >= low && p <= low + 7, `port ${p}`).toBe(true);
    expect(picks).not.toContain(low + 3);
  });

  it('asks the kernel when the whole pool is held', async () => {
    const low = await freeRun(2);
    await hold(low);
    await hold(low + 1);
    const port = await freePort({ low, high: low + 1 });
    expect(port === low || port === low + 1).toBe(false);
    expect(await bindError(port)).toBeUndefined();
  });
});
