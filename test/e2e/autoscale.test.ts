/**
 * Autoscaling on one machine: a service with `autoscale: { min: 1, max: 4, requestsPerSecond: 20 }`
 * (sync every 1 s, 3 s scale-down stabilization, so the test is quick) sits at 1 replica while
 * idle, scales out to 4 under a keep-alive load through its edge, stays there while the load
 * lasts, and goes back to 1 once the load has stopped for the stabilization window.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, keepAliveLoad, startBerth, waitFor, type Berth } from './harness.js';

const HELLO = join(ROOT, 'test/apps/hello/server.mjs');
const STABILIZATION_MS = 3000;

interface Status {
  edge?: { url: string };
  services: { service: string; desiredReplicas: number; readyReplicas: number; replicas: { phase: string }[] }[];
}

interface AutoscaleView {
  app: string;
  env: string;
  tracks: {
    service: string;
    track: string;
    minReplicas: number;
    maxReplicas: number;
    currentReplicas: number;
    desiredReplicas: number;
    metrics: { name: string; target: number; current?: number; error?: string }[];
    reason: string;
    lastEvaluatedAt?: string;
    events: { time: string; from: number; to: number; reason: string }[];
  }[];
}

let berth: Berth;
let dir: string;

beforeAll(async () => {
  berth = await startBerth();
  dir = await mkdtemp(join(tmpdir(), 'berth-autoscale-'));
  await writeFile(
    join(dir, 'berth.yaml'),
    `name: scaler
services:
  web:
    command: [node, ${JSON.stringify(HELLO)}]
    env: { RESPONSE_DELAY_MS: "20" }
    health:
      readiness: { http: { path: /healthz }, period: 1s }
    terminationGracePeriod: 2s
    autoscale: { min: 1, max: 4, requestsPerSecond: 20, syncPeriod: 1s, scaleDownStabilization: 3s }
routes:
  - { path: /, service: web }
`,
  );
  const r = await berth.cli(['deploy', dir, '-m', 'first']);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await berth?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const view = async () => (await berth.api<AutoscaleView>('GET', '/api/v1/apps/scaler/envs/local/autoscale')).body;
const web = async () => (await berth.api<Status>('GET', '/api/v1/apps/scaler/envs/local/status')).body.services[0]!;
const live = (s: Status['services'][number]) =>
  s.replicas.filter((r) => r.phase !== 'terminating' && r.phase !== 'exited');

describe('autoscaling on one machine', () => {
  it('scales a service out under load and back in after the stabilization window', async () => {
    // Idle: evaluated every second, nothing to do.
    const idle = await waitFor('an evaluation with a request rate', async () => {
      const t = (await view()).tracks[0];
      return t?.metrics[0]?.current !== undefined ? t : undefined;
    });
    expect(idle).toMatchObject({
      service: 'web',
      track: 'stable',
      minReplicas: 1,
      maxReplicas: 4,
      currentReplicas: 1,
      desiredReplicas: 1,
      metrics: [{ name: 'requestsPerSecond', target: 20 }],
      events: [],
    });

    const st = await berth.json<Status>(['status', 'scaler']);
    const load = keepAliveLoad([`${st.edge!.url}/`], { connections: 4 });
    let stoppedAt = 0;
    let maxReady = 0;
    let maxLive = 0;
    try {
      // Out: every replica up to max becomes ready and serves.
      await waitFor(
        '4 ready replicas',
        async () => {
          const s = await web();
          maxReady = Math.max(maxReady, s.readyReplicas);
          maxLive = Math.max(maxLive, live(s).length);
          return s.readyReplicas === 4;
        },
        20_000,
        100,
      );
      // Held while the load lasts: it still asks for 4 or more (more is clamped to max).
      const heldUntil = Date.now() + 2500;
      while (Date.now() < heldUntil) {
        const s = await web();
        maxLive = Math.max(maxLive, live(s).length);
        expect(s.desiredReplicas).toBe(4);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      stoppedAt = Date.now();
      await load.stop();
    }
    const underLoad = await view();
    expect(underLoad.tracks[0]!.events.every((e) => e.to > e.from)).toBe(true);
    const table = await berth.cli(['status', 'scaler']);
    expect(table.stdout).toMatch(
      /autoscale web stable: 4 \(min 1, max 4\) · requestsPerSecond [\d.]+\/20 · scaled \d→4 /,
    );
    expect(underLoad.tracks[0]!.metrics[0]!.current).toBeGreaterThan(10);

    // In: back to min once the window has only low recommendations.
    const after = await waitFor(
      'the scale-down to 1',
      async () => {
        const v = await view();
        return v.tracks[0]!.events.some((e) => e.to === 1) ? v.tracks[0]! : undefined;
      },
      20_000,
      100,
    );
    await waitFor('one live replica', async () => live(await web()).length === 1, 15_000);

    const counts = load.counts;
    const events = after.events.map((e) => ({ ...e, at: Date.parse(e.time) }));
    console.log(
      `autoscale: ${counts.ok}/${counts.sent} requests 2xx; events ${events
        .map((e) => `${e.from}→${e.to} at +${e.at - stoppedAt} ms (${e.reason})`)
        .join(', ')}; max ready ${maxReady}, max live ${maxLive}`,
    );
    expect(counts.failed, JSON.stringify(counts.reasons)).toBe(0);
    expect(counts.ok).toBeGreaterThan(200);

    // The order: scale-ups (within max) during the load, then one scale-down to min after it.
    const down = events.findIndex((e) => e.to < e.from);
    expect(down).toBeGreaterThan(0);
    expect(events.slice(0, down).every((e) => e.to > e.from && e.at < stoppedAt)).toBe(true);
    expect(events.slice(down)).toEqual([
      expect.objectContaining({ from: 4, to: 1, reason: 'all metrics below target' }),
    ]);
    expect(events[0]!.reason).toBe('requestsPerSecond above target');
    expect(Math.max(...events.map((e) => e.to))).toBe(4);
    expect(maxLive).toBe(4); // never above max
    // Not before the window: the last busy recommendation came at most one sync period (+ a scan) before the stop.
    expect(events[down]!.at - stoppedAt).toBeGreaterThanOrEqual(STABILIZATION_MS - 2000);

    const final = await web();
    expect(final.desiredReplicas).toBe(1);
    // The control plane logs each scale.
    await waitFor('the log lines', async () => {
      const log = await readFile(join(berth.home, 'server.log'), 'utf8');
      return log.includes('autoscaled web (stable) of scaler/local from 1 to') &&
        log.includes('autoscaled web (stable) of scaler/local from 4 to 1')
        ? true
        : undefined;
    });
  });
});
