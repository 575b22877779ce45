import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeError, TimeoutError } from '../../errors.js';
import type { Message } from '../../model/messages.js';
import type { Runtime } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import { isSameProcessAlive, readStartTime } from './procfs.js';
import { fixtureState, useLocalRuntime, waitFor } from './testdata/testing.js';

const local = useLocalRuntime({ sampleIntervalMs: 200 });
const start = (): Runtime => local.start();

const noop = { signal: new AbortController().signal, onEvent: (_e: RuntimeEvent): void => undefined };

function sigtermTimes(file: string): Map<string, number> {
  const out = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.trim().split('\n').filter(Boolean)) {
    const [id, ms] = line.split(' ');
    out.set(id!, Number(ms));
  }
  return out;
}

describe('local runtime', () => {
  it('reads addresses without allocating when asked not to allocate: only the registered ones, nothing saved', async () => {
    const rt = start();
    const registry = join(local.home, 'run', 'ports.json');
    const read = (): string | undefined => {
      try {
        return readFileSync(registry, 'utf8');
      } catch {
        return undefined;
      }
    };
    const web = { name: 'web', ports: [{ name: 'http', port: 8080, protocol: 'TCP' as const }] };
    const admin = { name: 'admin', port: 9000, protocol: 'TCP' as const };
    expect(await rt.addresses('shop', 'dev', [web, { name: 'api' }], { allocate: false })).toEqual({});
    expect(read()).toBeUndefined();

    const allocated = await rt.addresses('shop', 'dev', [web]);
    const saved = read();
    expect(saved).toContain('shop/dev/web');
    // Registered: read as allocated. Not registered (a service, or a second TCP port): left out.
    const known = await rt.addresses('shop', 'dev', [web, { name: 'api' }], { allocate: false });
    expect(known).toEqual({ web: allocated.web });
    expect(
      await rt.addresses('shop', 'dev', [{ name: 'web', ports: [...web.ports, admin] }], { allocate: false }),
    ).toEqual({});
    expect(read()).toBe(saved);
  });

  it('converges two ready replicas on distinct ports with their environment and config files', async () => {
    const rt = start();
    const events: RuntimeEvent[] = [];
    const addr = await rt.addresses('shop', 'dev', [{ name: 'orders' }]);
    const state = fixtureState({
      replicas: 2,
      // Discovery carried beside the env: a replica gets the other services' variables, under its env.
      discovery: { ORDERS_URL: 'http://own', USERS_URL: 'http://users:1', GREETING: 'shadowed' },
      workload: {
        ...fixtureState().workload,
        files: [
          { path: 'app.conf', content: 'mode=fast\n', secret: false },
          { path: 'sub/secret.txt', content: 's3cret', secret: true },
        ],
      },
    });
    await rt.converge(state, { ...noop, onEvent: (e) => events.push(e) });

    const obs = await rt.observe('shop', 'dev');
    const svc = obs.services.find((s) => s.service === 'orders')!;
    expect(svc.readyReplicas).toBe(2);
    expect(svc.address?.port).toBe(addr.orders!.port);
    const ports = svc.replicas.map((r) => r.port);
    expect(new Set(ports).size).toBe(2);
    expect(svc.replicas.every((r) => r.phase === 'ready' && r.pid !== undefined)).toBe(true);
    expect(local.gateway.backends('shop/dev/orders').sort()).toEqual(svc.replicas.map((r) => r.id).sort());
    expect(local.gateway.current.services[0]!.port).toBe(addr.orders!.port);

    for (const r of svc.replicas) {
      const env = (await (await fetch(`http://127.0.0.1:${r.port}/env`)).json()) as Record<string, string>;
      expect(env).toMatchObject({
        PORT: String(r.port),
        GREETING: 'hi',
        BERTH_APP: 'shop',
        BERTH_ENV: 'dev',
        BERTH_SERVICE: 'orders',
        BERTH_REPLICA: r.id,
        USERS_URL: 'http://users:1',
      });
      expect(env.ORDERS_URL).toBeUndefined();
      expect(await (await fetch(`http://127.0.0.1:${r.port}/config?file=app.conf`)).text()).toBe('mode=fast\n');
      expect(statSync(join(env.BERTH_CONFIG_DIR!, 'sub/secret.txt')).mode & 0o777).toBe(0o600);
      expect(statSync(env.BERTH_CONFIG_DIR!).mode & 0o777).toBe(0o700);
      // The environment never reaches the disk.
      const record = readFileSync(join(local.home, 'run/shop/dev/orders', r.id, 'replica.json'), 'utf8');
      expect(record).not.toContain('GREETING');
    }
    expect(events.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['ScalingReplicaSet', 'Scheduled', 'Started', 'Ready']),
    );

    // Replicas that started since the last periodic sample are measured when observed.
    const observed = await rt.observe('shop', 'dev');
    for (const r of observed.services[0]!.replicas) {
      expect(r.memoryBytes, `${r.id} memory`).toBeGreaterThan(1024 * 1024);
      expect(r.cpuPercent, `${r.id} cpu`).toBeGreaterThanOrEqual(0);
    }
  });

  it('rolls to a new hash keeping enough ready replicas, out of the gateway before SIGTERM', async () => {
    const rt = start();
    const sigLog = join(local.home, 'sigterm.log');
    const v1 = fixtureState({
      replicas: 3,
      rollout: { maxSurge: 1, maxUnavailable: 1, progressDeadlineMs: 15_000 },
      fixtureEnv: { FIXTURE_SIGTERM_LOG: sigLog },
    });
    await rt.converge(v1, noop);
    const before = (await rt.observe('shop', 'dev')).services[0]!.replicas;
    const oldPids = before.map((r) => ({ pid: r.pid!, start: readStartTime(r.pid!)! }));
    const historyStart = local.gateway.history.length;

    const v2 = fixtureState({
      replicas: 3,
      hash: 'bbbbbbb2',
      revision: 2,
      rollout: { maxSurge: 1, maxUnavailable: 1, progressDeadlineMs: 15_000 },
      fixtureEnv: { FIXTURE_SIGTERM_LOG: sigLog, FIXTURE_READY_AFTER_MS: '300' },
    });
    let minReady = Infinity;
    let maxTotal = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const s = (await rt.observe('shop', 'dev')).services[0]!;
        minReady = Math.min(minReady, s.replicas.filter((r) => r.phase === 'ready').length);
        maxTotal = Math.max(
          maxTotal,
          s.replicas.filter((r) => r.phase !== 'terminating' && r.phase !== 'exited').length,
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await rt.converge(v2, noop);
    sampling = false;
    await sampler;

    expect(minReady).toBeGreaterThanOrEqual(2);
    expect(maxTotal).toBeLessThanOrEqual(4);
    for (const h of local.gateway.history.slice(historyStart)) {
      expect(h.table.services[0]!.backends.length).toBeGreaterThanOrEqual(2);
    }
    const after = (await rt.observe('shop', 'dev')).services[0]!;
    expect(after.replicas).toHaveLength(3);
    expect(after.replicas.every((r) => r.hash === 'bbbbbbb2' && r.phase === 'ready')).toBe(true);
    for (const p of oldPids) expect(isSameProcessAlive(p.pid, p.start)).toBe(false);
    const terms = sigtermTimes(sigLog);
    for (const r of before) {
      expect(terms.has(r.id)).toBe(true);
      expect(local.gateway.removedAt.get(r.id)).toBeLessThanOrEqual(terms.get(r.id)!);
    }
  });

  it('stops a replica that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const rt = start();
    const sigLog = join(local.home, 'sigterm.log');
    const state = fixtureState({
      workload: {
        ...fixtureState().workload,
        terminationGracePeriodMs: 1200,
        env: { FIXTURE_IGNORE_SIGTERM: '1', FIXTURE_SIGTERM_LOG: sigLog },
      },
    });
    await rt.converge(state, noop);
    const r = (await rt.observe('shop', 'dev')).services[0]!.replicas[0]!;
    const started = readStartTime(r.pid!)!;
    const t0 = Date.now();
    const removing = rt.remove('shop', 'dev', 'orders');
    await waitFor(() => sigtermTimes(sigLog).has(r.id), 5000, 'SIGTERM');
    expect(isSameProcessAlive(r.pid!, started)).toBe(true);
    await removing;
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1100);
    expect(isSameProcessAlive(r.pid!, started)).toBe(false);
    expect(local.gateway.removedAt.get(r.id)).toBeLessThanOrEqual(sigtermTimes(sigLog).get(r.id)!);
    expect(local.gateway.current.services).toHaveLength(0);
    expect((await rt.observe('shop', 'dev')).services).toHaveLength(0);
  });

  it('rejects when no progress is made, naming the service and the reason', async () => {
    const rt = start();
    const failing = fixtureState({
      fixtureEnv: { FIXTURE_HEALTH_STATUS: '500' },
      // Long enough for the replica to start and fail its first probe on a loaded machine (CI runs two suites at once).
      rollout: { maxSurge: 1, maxUnavailable: 0, progressDeadlineMs: 4000 },
    });
    const err = await rt.converge(failing, noop).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(
      /^orders: 0\/1 replicas ready after \d+s; orders-\w+-\w+: readiness probe failed: HTTP 500 from \/healthz/,
    );
    // ... and as codes, the probe's finding inside the replica's part, for the console to translate
    const why = (err as { reasonMessage?: Message }).reasonMessage!;
    expect(why).toMatchObject({
      code: 'release.noProgress',
      params: {
        service: 'orders',
        newReady: 0,
        desired: 1,
        details: {
          code: 'release.replicaWhy',
          params: {
            reason: {
              code: 'event.readinessFailed',
              params: { detail: { code: 'probe.httpStatus', params: { status: 500, path: '/healthz' } } },
            },
          },
        },
      },
      text: (err as Error).message,
    });

    const crashing = fixtureState({
      hash: 'ccccccc3',
      fixtureEnv: { FIXTURE_EXIT_CODE: '1' },
      rollout: { maxSurge: 1, maxUnavailable: 0, progressDeadlineMs: 1500 },
    });
    const err2 = await rt.converge(crashing, noop).catch((e: unknown) => e);
    // A replica crashing before it was ever ready fails the converge at its third crash (a crash loop).
    expect(err2).toBeInstanceOf(RuntimeError);
    expect((err2 as Error).message).toMatch(
      /^orders: crash loop: orders-ccccc-\w+ crashed 3 times in a row without ever becoming ready; last exit: exited with code 1/,
    );
  });

  it('applies routes to the edge and reports its url', async () => {
    const rt = start();
    await rt.applyRoutes(
      { app: 'shop', env: 'dev', routes: [{ pathPrefix: '/api', service: 'orders', stripPrefix: true }] },
      noop,
    );
    const edge = local.gateway.current.edges[0]!;
    expect(edge.key).toBe('shop/dev');
    expect(edge.routes).toEqual([{ pathPrefix: '/api', target: 'shop/dev/orders', stripPrefix: true }]);
    const obs = await rt.observe('shop', 'dev');
    expect(obs.edge).toEqual({ url: `http://127.0.0.1:${edge.port}`, port: edge.port });
    await rt.remove('shop', 'dev');
    expect(local.gateway.current.edges).toHaveLength(0);
  });
});
