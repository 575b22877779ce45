/**
 * Rolling updates lose no request: a 3-replica service under a steady keep-alive load, through its
 * edge and through its service address, goes through 5 config-changing deploys. Every request
 * answers 2xx, the new version takes over, and the rollout keeps within maxSurge/maxUnavailable
 * (Kubernetes' defaults: 25% → 1 surge, 0 unavailable for 3 replicas). Run with each data plane:
 * the gateway's own Node proxy, and HAProxy driven by the gateway (`BERTH_DATA_PLANE=haproxy`),
 * where replicas are swapped through its admin socket by one HAProxy master, never restarted.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, keepAliveLoad, startBerth, type Berth } from './harness.js';

const HELLO = join(ROOT, 'test/apps/hello/server.mjs');
const DEPLOYS = 5;

interface Status {
  edge?: { url: string };
  services: {
    service: string;
    readyReplicas: number;
    desiredReplicas: number;
    address?: { url: string };
    replicas: { id: string; phase: string; hash: string }[];
  }[];
}

describe.each(['node', 'haproxy'] as const)('rolling updates under load, %s data plane', (plane) => {
  let berth: Berth;
  let dir: string;

  /** Pid of the HAProxy master serving the gateway (undefined with the Node data plane). */
  async function haproxyMaster(): Promise<number | undefined> {
    if (plane !== 'haproxy') return undefined;
    const id = JSON.parse(await readFile(join(berth.home, 'gateway/haproxy/haproxy.json'), 'utf8')) as { pid: number };
    return id.pid;
  }

  beforeAll(async () => {
    berth = await startBerth({ env: { BERTH_DATA_PLANE: plane } });
    dir = await mkdtemp(join(tmpdir(), `berth-rolling-${plane}-`));
    await writeFile(
      join(dir, 'berth.yaml'),
      `name: rolling
variables:
  VERSION: { default: "0" }
services:
  hello:
    command: [node, ${JSON.stringify(HELLO)}]
    replicas: 3
    env: { VERSION: "\${VERSION}", RESPONSE_DELAY_MS: "5", READY_AFTER_MS: "150" }
    health:
      readiness: { http: { path: /healthz }, period: 1s }
    terminationGracePeriod: 5s
routes:
  - { path: /, service: hello }
`,
    );
    const r = await berth.cli(['deploy', dir, '-m', 'first']);
    expect(r.code, r.stderr).toBe(0);
  });

  afterAll(async () => {
    await berth?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${DEPLOYS} config-changing deploys of a 3-replica service fail no request on the edge or the service address`, async () => {
    const master = await haproxyMaster();
    const st = await berth.json<Status>(['status', 'rolling']);
    const versions = [new Set<string>(), new Set<string>()];
    const recordVersion = (i: number) => (body: string) =>
      versions[i]!.add((JSON.parse(body) as { version: string }).version);
    const edge = keepAliveLoad([`${st.edge!.url}/work`], { connections: 4, onAnswer: recordVersion(0) });
    const address = keepAliveLoad([`${st.services[0]!.address!.url}/work`], {
      connections: 4,
      onAnswer: recordVersion(1),
    });

    // Watch the rollout through the API: never fewer than 3 ready, never more than 3 + 1 live replicas.
    let watching = true;
    const seen = { minReady: Infinity, maxReplicas: 0, samples: 0 };
    const watcher = (async () => {
      while (watching) {
        const s = (await berth.api<Status>('GET', '/api/v1/apps/rolling/envs/local/status')).body.services[0]!;
        const serving = s.replicas.filter((r) => r.phase === 'ready').length;
        seen.minReady = Math.min(seen.minReady, serving);
        // Terminating replicas are outside the surge budget, as in Kubernetes.
        const live = s.replicas.filter((r) => r.phase !== 'terminating' && r.phase !== 'exited').length;
        seen.maxReplicas = Math.max(seen.maxReplicas, live);
        seen.samples++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    try {
      for (let i = 1; i <= DEPLOYS; i++) {
        const set = await berth.cli(['config', 'set', `VERSION=${i}`, '--app', 'rolling', '-m', `version ${i}`]);
        expect(set.code, set.stderr).toBe(0);
        const d = await berth.cli(['deploy', dir, '-m', `version ${i}`]);
        expect(d.code, d.stderr).toBe(0);
        expect(d.stderr).toContain(`revision ${i + 1} is live`);
      }
      // A moment of load after the last deploy: the new version alone answers.
      const before = edge.counts.ok;
      while (edge.counts.ok < before + 50) await new Promise((r) => setTimeout(r, 20));
    } finally {
      watching = false;
      await watcher;
    }
    const results = [await edge.stop(), await address.stop()];
    console.log(
      `rolling (${plane}): edge ${results[0]!.ok}/${results[0]!.sent} 2xx, service address ${results[1]!.ok}/${results[1]!.sent} 2xx; ` +
        `min ready ${seen.minReady}, max live replicas ${seen.maxReplicas} over ${seen.samples} samples`,
    );

    for (const [i, c] of results.entries()) {
      expect(c.reasons).toEqual({});
      expect(c.failed).toBe(0);
      expect(c.ok).toBe(c.sent); // every request sent was answered and counted
      expect(c.ok).toBeGreaterThan(500);
      // every version served in turn, the last one included
      expect([...versions[i]!].sort()).toEqual(Array.from({ length: DEPLOYS + 1 }, (_, i) => String(i)));
    }
    expect(seen.samples).toBeGreaterThan(20);
    expect(seen.minReady).toBeGreaterThanOrEqual(3);
    expect(seen.maxReplicas).toBeLessThanOrEqual(4);

    // The same HAProxy served throughout: replicas changed at runtime, no restart.
    if (plane === 'haproxy') {
      expect(await haproxyMaster()).toBe(master);
      const cfg = await readFile(join(berth.home, 'gateway/haproxy/haproxy.cfg'), 'utf8');
      expect(cfg).toContain(`bind ${new URL(st.edge!.url).host}`);
      expect(cfg).toContain(`bind ${new URL(st.services[0]!.address!.url).host}`);
    }
    const final = await berth.json<Status>(['status', 'rolling']);
    expect(final.services[0]).toMatchObject({ readyReplicas: 3, desiredReplicas: 3 });
    expect(final.services[0]!.replicas).toHaveLength(3);
    const last = await request(`${final.edge!.url}/`);
    expect(((await last.body.json()) as { version: string }).version).toBe(String(DEPLOYS));
  });
});
