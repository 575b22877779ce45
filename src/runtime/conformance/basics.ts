/** The kit's basics: converge up and down, a new version, addresses, logs, removal, idempotence. */
import { expect, it } from 'vitest';
import type { LogLine, RuntimeEvent } from '../../model/observation.js';
import type { KitContext } from './context.js';

export function basicTests(k: KitContext): void {
  it('converges a service up and down', async () => {
    await k.s.runtime.converge(k.state('web', 2, 'h1'), k.opts());
    let st = await k.status('web');
    expect(st?.desiredReplicas).toBe(2);
    expect(st?.readyReplicas).toBe(2);
    expect(st?.replicas.filter((r) => r.phase === 'ready' && r.hash === 'h1')).toHaveLength(2);

    await k.s.runtime.converge(k.state('web', 1, 'h1'), k.opts());
    st = await k.status('web');
    expect(st?.readyReplicas).toBe(1);
    expect(st?.replicas).toHaveLength(1);

    await k.s.runtime.converge(k.state('web', 0, 'h1'), k.opts());
    st = await k.status('web');
    expect(st?.replicas ?? []).toHaveLength(0);
  });

  it('updates to a new hash, leaving only replicas of the new hash', async () => {
    await k.s.runtime.converge(k.state('web', 2, 'h1'), k.opts());
    const before = (await k.status('web'))!.replicas.map((r) => r.id);
    const events: RuntimeEvent[] = [];
    await k.s.runtime.converge(k.state('web', 2, 'h2', { revision: 2 }), k.opts(events));
    const st = (await k.status('web'))!;
    expect(st.hash).toBe('h2');
    expect(st.readyReplicas).toBe(2);
    expect(st.replicas).toHaveLength(2);
    expect(st.replicas.every((r) => r.hash === 'h2' && r.phase === 'ready')).toBe(true);
    expect(st.replicas.some((r) => before.includes(r.id))).toBe(false);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.service === 'web' && typeof e.reason === 'string' && e.time !== '')).toBe(true);
    expect(await k.s.running(k.app, k.env)).toEqual(['h2', 'h2']);
  });

  it('observes services with their stable address', async () => {
    const rt = k.s.runtime;
    const addrs = await rt.addresses(k.app, k.env, [{ name: 'web' }, { name: 'api' }]);
    expect(addrs.web!.url).not.toBe(addrs.api!.url);
    expect(await rt.addresses(k.app, k.env, [{ name: 'web' }])).toEqual({ web: addrs.web });
    await rt.converge(k.state('web', 1, 'h1'), k.opts());
    const st = (await k.status('web'))!;
    expect(st).toMatchObject({
      app: k.app,
      env: k.env,
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
    const rt = k.s.runtime;
    await rt.converge(k.state('web', 2, 'h1'), k.opts());
    const ids = (await k.status('web'))!.replicas.map((r) => r.id).sort();
    const selector = { app: k.app, env: k.env, service: 'web' };
    let lines: LogLine[] = [];
    await k.eventually(async () => {
      lines = [];
      for await (const l of rt.logs(selector, { follow: false })) lines.push(l);
      return new Set(lines.map((l) => l.replica)).size === ids.length;
    }, 'a line of every replica');
    expect([...new Set(lines.map((l) => l.replica))].sort()).toEqual(ids);
    expect(lines.every((l) => l.service === 'web' && !Number.isNaN(Date.parse(l.time)))).toBe(true);
    const one: LogLine[] = [];
    for await (const l of rt.logs({ ...selector, replica: ids[0]! }, { follow: false, tail: 1 })) one.push(l);
    expect(one).toHaveLength(1);
    expect(one[0]!.replica).toBe(ids[0]);
  });

  it('removes one service, then the whole app', async () => {
    const rt = k.s.runtime;
    await rt.converge(k.state('web', 1, 'h1'), k.opts());
    await rt.converge(k.state('api', 1, 'a1'), k.opts());
    await rt.remove(k.app, k.env, 'web');
    expect(await k.status('web')).toBeUndefined();
    expect((await k.status('api'))?.readyReplicas).toBe(1);
    expect(await k.s.running(k.app, k.env)).toEqual(['a1']);
    await rt.remove(k.app, k.env);
    expect((await rt.observe(k.app, k.env)).services).toEqual([]);
    expect(await k.s.running(k.app, k.env)).toEqual([]);
    await rt.remove(k.app, k.env);
  });

  it('is idempotent: converging the same state again, also from a new instance, changes nothing', async () => {
    const desired = k.state('web', 2, 'h1');
    await k.s.runtime.converge(desired, k.opts());
    const ids = (await k.status('web'))!.replicas.map((r) => r.id).sort();
    await k.s.runtime.converge(desired, k.opts());
    expect((await k.status('web'))!.replicas.map((r) => r.id).sort()).toEqual(ids);

    await k.s.runtime.close();
    const again = await k.s.newInstance();
    await again.converge(desired, k.opts());
    const st = (await k.status('web', again))!;
    expect(st.readyReplicas).toBe(2);
    expect(st.replicas.map((r) => r.id).sort()).toEqual(ids);
  });
}
