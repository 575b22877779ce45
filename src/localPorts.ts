/**
 * Free ports on 127.0.0.1 for listeners Berth binds a moment later, in another process: a replica's
 * `$PORT`, a service's stable address, HAProxy's internal server slots, a preview's edge.
 *
 * Asking the kernel (`listen(0)`, then close) hands out a port of its ephemeral range, which every
 * outgoing connection's local end is drawn from too: on a busy machine (a control plane probing 100
 * replicas, CI's parallel test files) one of them takes the port before the service binds it, and the
 * replica fails with EADDRINUSE. So ports come from a pool below the ephemeral range, where only an
 * explicit bind can take one: 20000–32000 by default (Nomad's range for the same job, its dynamic
 * ports), or `BERTH_PORT_RANGE=<low>-<high>`. A cursor walks the pool from a random start, so one
 * process never hands out the same port twice in a row of picks (two replicas started together get
 * two ports even before either has bound its own), and each pick is checked by binding it. Where the
 * ephemeral range leaves no room below it (it starts under 21024) and no range is set, or the whole
 * pool is held, the kernel picks as before.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface PortPool {
  low: number;
  high: number;
}

const DEFAULT_POOL: PortPool = { low: 20_000, high: 32_000 };
const MIN_POOL = 1024;
const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';

/**
 * The pool ports are picked from: `BERTH_PORT_RANGE` when set (an error naming it when it is not
 * `<low>-<high>` within 1024–65535), else 20000–32000 cut below the kernel's ephemeral range (its
 * `ip_local_port_range`), or undefined when fewer than 1024 ports are left.
 */
export function portPool(
  range: string | undefined = process.env.BERTH_PORT_RANGE,
  ephemeralRange: string | undefined = readEphemeralRange(),
): PortPool | undefined {
  if (range !== undefined && range.trim() !== '') {
    const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(range);
    const low = m ? Number(m[1]) : NaN;
    const high = m ? Number(m[2]) : NaN;
    if (!(low >= 1024 && high <= 65_535 && low <= high))
      throw new Error(`BERTH_PORT_RANGE=${JSON.stringify(range)}: expected <low>-<high> within 1024-65535, low ≤ high`);
    return { low, high };
  }
  const ephemeralLow = Number(/^\s*(\d+)/.exec(ephemeralRange ?? '')?.[1] ?? 32_768);
  const high = Math.min(DEFAULT_POOL.high, ephemeralLow - 1);
  return high - DEFAULT_POOL.low + 1 >= MIN_POOL ? { low: DEFAULT_POOL.low, high } : undefined;
}

function readEphemeralRange(): string | undefined {
  try {
    return readFileSync(EPHEMERAL_RANGE_FILE, 'utf8');
  } catch {
    return undefined;
  }
}

let cachedPool: { pool: PortPool | undefined } | undefined;
let cursor = -1;

/** A port free on 127.0.0.1 now, from `pool` (this process's `portPool()` unless given). */
export async function freePort(pool: PortPool | undefined = processPool()): Promise<number> {
  if (pool === undefined) return kernelPort();
  const size = pool.high - pool.low + 1;
  if (cursor < 0) cursor = Math.floor(Math.random() * size);
  for (let tries = 0; tries < Math.min(size, 512); tries++) {
    const port = pool.low + (cursor++ % size);
    if ((await bindError(port)) === undefined) return port;
  }
  return kernelPort();
}

function processPool(): PortPool | undefined {
  cachedPool ??= { pool: portPool() };
  return cachedPool.pool;
}

/** Bind and release `port` on `host`: the error code if something else holds it (or the host is not this machine's). */
export function bindError(port: number, host = '127.0.0.1'): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    s.listen(port, host, () => s.close(() => resolve(undefined)));
  });
}

/** What the kernel hands out for `listen(0)` (its ephemeral range). */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
