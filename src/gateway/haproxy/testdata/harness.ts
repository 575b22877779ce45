/**
 * For the HAProxy data plane's tests: one HaproxyListeners in a temporary home for a test file,
 * emptied after every test and closed after the last, with upstreams that are closed with it; and
 * the request helpers (a GET, a raw exchange, a keep-alive load) the tests share.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { Backend, EdgeListener, RoutingTable, ServiceListener } from '../../table.js';
import type { Echo, Upstream } from '../../testing.js';
import { fetchText, startUpstream, tempHome } from '../../testing.js';
import { HaproxyListeners } from '../haproxyListeners.js';

/** The HAProxy of a test file and what it serves. */
export interface HaproxyHarness {
  /** The listeners under test (a test may replace them, as an adoption does). */
  hx: HaproxyListeners;
  home: { dir: string; remove(): Promise<void> };
  /** HAProxy's own folder in the home. */
  dir(): string;
  /** New listeners on the same folder (adopting a running HAProxy). */
  open(): HaproxyListeners;
  /** An upstream replica that answers with its name, closed after the file. */
  upstream(name: string, delayMs?: number): Promise<Upstream>;
  /** A routing table of the next generation. */
  table(services: ServiceListener[], edges?: EdgeListener[]): RoutingTable;
}

/** Sets up one HAProxy for the calling test file (vitest hooks); every test must leave it servable. */
export function useHaproxy(): HaproxyHarness {
  let generation = 0;
  const upstreams: Upstream[] = [];
  const h: HaproxyHarness = {
    hx: undefined as unknown as HaproxyListeners,
    home: undefined as unknown as HaproxyHarness['home'],
    dir: () => join(h.home.dir, 'haproxy'),
    open: () =>
      new HaproxyListeners({
        dir: h.dir(),
        removalWaitMs: 3_000,
        drainTimeoutMs: 2_000,
        statsIntervalMs: 50,
        statsRestMs: 2_000,
      }),
    async upstream(name, delayMs = 0) {
      const u = await startUpstream(name, delayMs);
      upstreams.push(u);
      return u;
    },
    table: (services, edges = []) => ({ generation: ++generation, services, edges }),
  };
  beforeAll(async () => {
    h.home = await tempHome();
    h.hx = h.open();
  });
  afterAll(async () => {
    await h.hx?.close();
    await Promise.all(upstreams.map((u) => u.close()));
    await h.home?.remove();
  });
  afterEach(async () => {
    expect(await h.hx.apply(h.table([]))).toEqual([]);
  });
  return h;
}

/** A backend of the table for an upstream, on a track when given. */
export const backend = (u: Upstream, track?: 'canary'): Backend => ({
  id: u.name,
  host: '127.0.0.1',
  port: u.port,
  ...(track ? { track } : {}),
});

/** A GET on 127.0.0.1; a 200's body parsed as the upstream's echo. */
export async function get(
  port: number,
  path = '/',
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; echo?: Echo }> {
  const res = await fetchText(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: res.status, text: res.text, echo: res.status === 200 ? (JSON.parse(res.text) as Echo) : undefined };
}

/** Sends `data` on a fresh connection and returns all that comes back until the server closes; a reset fails. */
export function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => (out += d));
    sock.on('error', (err) => reject(new Error(`${err.message} after ${JSON.stringify(out.slice(0, 80))}`)));
    sock.on('close', () => resolve(out));
    sock.write(data);
  });
}

/** Keep-alive load over a few connections, in a bounded loop, until stopped. */
export function load(
  port: number,
  connections = 4,
): { stop(): Promise<{ ok: number; failed: number; reasons: string[]; names: Set<string> }> } {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections, pipelining: 1 });
  let running = true;
  const result = { ok: 0, failed: 0, reasons: [] as string[], names: new Set<string>() };
  const worker = async (): Promise<void> => {
    for (let i = 0; running && i < 100_000; i++) {
      try {
        const res = await pool.request({ path: '/load', method: 'GET' });
        const text = await res.body.text();
        if (res.statusCode === 200) {
          result.ok++;
          result.names.add((JSON.parse(text) as Echo).name);
        } else {
          result.failed++;
          result.reasons.push(`${res.statusCode} ${text.slice(0, 80)}`);
        }
      } catch (err) {
        result.failed++;
        result.reasons.push(String(err));
      }
    }
  };
  const workers = Array.from({ length: connections }, () => worker());
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      await pool.close();
      return result;
    },
  };
}
