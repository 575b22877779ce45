/**
 * The runtime conformance kit: the behaviour every Runtime must show, in terms of the Runtime
 * interface only, so the local and the Kubernetes runtimes run the same tests.
 *
 *   runtimeConformance('local', async () => ({ runtime, makeState, newInstance, teardown }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConvergeOptions, Runtime } from './runtime.js';
import type { LogLine, RuntimeEvent, ServiceStatus } from '../model/observation.js';
import type { ServiceState } from '../model/serviceState.js';

/** What a runtime under test provides to the kit. */
export interface ConformanceSetup {
  runtime: Runtime;
  /**
   * A desired state for one service whose replicas become ready and print at least one line to
   * stdout when they start. Different `hash` values must be different workload versions.
   */
  makeState(opts: {
    app: string;
    env: string;
    service: string;
    replicas: number;
    hash: string;
    revision?: number;
  }): ServiceState;
  /** A second runtime instance over the same state, as after a control-plane restart (closed by teardown). */
  newInstance(): Promise<Runtime>;
  /** Removes everything the test created and closes every instance. */
  teardown(): Promise<void>;
}

/** Registers the conformance tests of a runtime. */
export function runtimeConformance(name: string, setup: () => Promise<ConformanceSetup>): void {
  describe(`runtime conformance: ${name}`, () => {
    let s: ConformanceSetup;
    const app = 'conform';
    const env = 'test';

    beforeEach(async () => {
      s = await setup();
    });
    afterEach(async () => {
      await s.teardown();
    });

    const opts = (events: RuntimeEvent[] = []): ConvergeOptions => ({
      signal: AbortSignal.timeout(60_000),
      onEvent: (e) => events.push(e),
    });
    const state = (service: string, replicas: number, hash: string, revision = 1): ServiceState =>
      s.makeState({ app, env, service, replicas, hash, revision });
    async function status(rt: Runtime, service: string): Promise<ServiceStatus | undefined> {
      return (await rt.observe(app, env)).services.find((x) => x.service === service);
    }

    it('converges a service up and down', async () => {
      await s.runtime.converge(state('web', 2, 'h1'), opts());
      let st = await status(s.runtime, 'web');
      expect(st?.desiredReplicas).toBe(2);
      expect(st?.readyReplicas).toBe(2);
      expect(st?.replicas.filter((r) => r.phase === 'ready' && r.hash === 'h1')).toHaveLength(2);

      await s.runtime.converge(state('web', 1, 'h1'), opts());
      st = await status(s.runtime, 'web');
      expect(st?.readyReplicas).toBe(1);
      expect(st?.replicas).toHaveLength(1);

      await s.runtime.converge(state('web', 0, 'h1'), opts());
      st = await status(s.runtime, 'web');
      expect(st?.replicas ?? []).toHaveLength(0);
    });

    it('updates to a new hash, leaving only replicas of the new hash', async () => {
      await s.runtime.converge(state('web', 2, 'h1'), opts());
      const before = (await status(s.runtime, 'web'))!.replicas.map((r) => r.id);
      const events: RuntimeEvent[] = [];
      await s.runtime.converge(state('web', 2, 'h2', 2), opts(events));
      const st = (await status(s.runtime, 'web'))!;
      expect(st.hash).toBe('h2');
      expect(st.readyReplicas).toBe(2);
      expect(st.replicas).toHaveLength(2);
      expect(st.replicas.every((r) => r.hash === 'h2' && r.phase === 'ready')).toBe(true);
      expect(st.replicas.some((r) => before.includes(r.id))).toBe(false);
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e.service === 'web' && typeof e.reason === 'string' && e.time !== '')).toBe(true);
    });

    it('observes services with their stable address', async () => {
      const addrs = await s.runtime.addresses(app, env, [{ name: 'web' }, { name: 'api' }]);
      expect(addrs.web!.url).not.toBe(addrs.api!.url);
      expect(await s.runtime.addresses(app, env, [{ name: 'web' }])).toEqual({ web: addrs.web });
      await s.runtime.converge(state('web', 1, 'h1'), opts());
      const st = (await status(s.runtime, 'web'))!;
      expect(st).toMatchObject({
        app,
        env,
        service: 'web',
        desiredReplicas: 1,
        readyReplicas: 1,
        hash: 'h1',
        revision: 1,
      });
      expect(st.address).toEqual(addrs.web);
      expect(st.replicas[0]!.restarts).toBe(0);
    });

    it('returns the logs of the replicas', async () => {
      await s.runtime.converge(state('web', 2, 'h1'), opts());
      const ids = (await status(s.runtime, 'web'))!.replicas.map((r) => r.id).sort();
      const deadline = Date.now() + 15_000;
      let lines: LogLine[] = [];
      while (Date.now() < deadline) {
        lines = [];
        for await (const l of s.runtime.logs({ app, env, service: 'web' }, { follow: false })) lines.push(l);
        if (new Set(lines.map((l) => l.replica)).size === ids.length) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect([...new Set(lines.map((l) => l.replica))].sort()).toEqual(ids);
      expect(lines.every((l) => l.service === 'web' && !Number.isNaN(Date.parse(l.time)))).toBe(true);
      const one: LogLine[] = [];
      for await (const l of s.runtime.logs({ app, env, service: 'web', replica: ids[0]! }, { follow: false, tail: 1 }))
        one.push(l);
      expect(one).toHaveLength(1);
      expect(one[0]!.replica).toBe(ids[0]);
    });

    it('removes one service, then the whole app', async () => {
      await s.runtime.converge(state('web', 1, 'h1'), opts());
      await s.runtime.converge(state('api', 1, 'h1'), opts());
      await s.runtime.remove(app, env, 'web');
      expect(await status(s.runtime, 'web')).toBeUndefined();
      expect((await status(s.runtime, 'api'))?.readyReplicas).toBe(1);
      await s.runtime.remove(app, env);
      expect((await s.runtime.observe(app, env)).services).toEqual([]);
      await s.runtime.remove(app, env);
    });

    it('is idempotent: converging the same state again, also from a new instance, changes nothing', async () => {
      const desired = state('web', 2, 'h1');
      await s.runtime.converge(desired, opts());
      const ids = (await status(s.runtime, 'web'))!.replicas.map((r) => r.id).sort();
      await s.runtime.converge(desired, opts());
      expect((await status(s.runtime, 'web'))!.replicas.map((r) => r.id).sort()).toEqual(ids);

      await s.runtime.close();
      const again = await s.newInstance();
      await again.converge(desired, opts());
      const st = (await status(again, 'web'))!;
      expect(st.readyReplicas).toBe(2);
      expect(st.replicas.map((r) => r.id).sort()).toEqual(ids);
    });
  });
}
