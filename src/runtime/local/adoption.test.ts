import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import { createLocalRuntime } from './localRuntime.js';
import type { LocalRuntimeOptions } from './localRuntime.js';
import { isSameProcessAlive, readStartTime } from './procfs.js';
import { RecordingGateway, buildShims, fixtureState, killAll, tempHome, waitFor } from './testdata/testing.js';

let shims: { shimEntry: string; nativeShim: string };
beforeAll(() => {
  shims = buildShims();
});

let home: string;
let gateway: RecordingGateway;
const runtimes: Runtime[] = [];

function make(extra: Partial<LocalRuntimeOptions> = {}): Runtime {
  const rt = createLocalRuntime({ home, gateway, ...shims, pollIntervalMs: 50, edgePort: 0, ...extra });
  runtimes.push(rt);
  return rt;
}

afterEach(async () => {
  const last = runtimes.at(-1);
  await last?.remove('shop', 'dev').catch(() => undefined);
  for (const rt of runtimes.splice(0)) await rt.close();
  killAll(home);
});

const opts = (events: RuntimeEvent[] = []) => ({
  signal: new AbortController().signal,
  onEvent: (e: RuntimeEvent) => events.push(e),
});

describe('local runtime adoption', () => {
  it('re-adopts running replicas after a restart and starts nothing for the same state', async () => {
    home = tempHome();
    gateway = new RecordingGateway();
    const a = make();
    const state = fixtureState({ replicas: 2 });
    await a.converge(state, opts());
    const before = (await a.observe('shop', 'dev')).services[0]!.replicas;
    const identities = before.map((r) => ({ id: r.id, pid: r.pid!, start: readStartTime(r.pid!)! }));
    await a.close();

    const b = make();
    const adopted = (await b.observe('shop', 'dev')).services[0]!;
    expect(adopted.replicas.map((r) => [r.id, r.pid, r.port, r.phase])).toEqual(
      before.map((r) => [r.id, r.pid, r.port, 'ready']),
    );
    const events: RuntimeEvent[] = [];
    await b.converge(state, opts(events));
    expect(events.filter((e) => ['Scheduled', 'Started', 'Killing'].includes(e.reason))).toEqual([]);
    const after = (await b.observe('shop', 'dev')).services[0]!.replicas;
    expect(after.map((r) => r.pid)).toEqual(identities.map((i) => i.pid));
    for (const i of identities) expect(isSameProcessAlive(i.pid, i.start)).toBe(true);
    expect(gateway.backends('shop/dev/orders').sort()).toEqual(identities.map((i) => i.id).sort());

    // The adopted replicas are supervised: a crash is noticed and, with the environment known again, restarted.
    process.kill(identities[0]!.pid, 'SIGKILL');
    const restarted = await waitFor(
      async () => {
        const r = (await b.observe('shop', 'dev')).services[0]!.replicas.find((x) => x.id === identities[0]!.id);
        return r && r.phase === 'ready' && r.pid !== identities[0]!.pid ? r : undefined;
      },
      10_000,
      'restart of an adopted replica',
    );
    expect(restarted.restarts).toBe(1);
  });

  it('records replicas that died while no runtime was running and restarts them on converge', async () => {
    home = tempHome();
    gateway = new RecordingGateway();
    const a = make();
    const state = fixtureState();
    await a.converge(state, opts());
    const r0 = (await a.observe('shop', 'dev')).services[0]!.replicas[0]!;
    await a.close();
    process.kill(r0.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));

    const b = make();
    const seen = await waitFor(
      async () => {
        const r = (await b.observe('shop', 'dev')).services[0]!.replicas[0]!;
        return r.lastExit ? r : undefined;
      },
      5000,
      'the exit to be recorded',
    );
    expect(seen.lastExit).toMatchObject({ signal: 'SIGKILL' });
    await b.converge(state, opts());
    const r1 = (await b.observe('shop', 'dev')).services[0]!.replicas[0]!;
    expect(r1.id).toBe(r0.id);
    expect(r1.pid).not.toBe(r0.pid);
    expect(r1.phase).toBe('ready');
  });

  it('counts the back-off of a replica that died while no runtime ran from its exit, not from the restart', async () => {
    home = tempHome();
    gateway = new RecordingGateway();
    const a = make();
    const state = fixtureState({ restart: { initialBackoffMs: 2000, maxBackoffMs: 4000, resetAfterMs: 60_000 } });
    await a.converge(state, opts());
    const r0 = (await a.observe('shop', 'dev')).services[0]!.replicas[0]!;
    await a.close();
    process.kill(r0.pid!, 'SIGKILL');
    // Down for longer than the back-off: it has been served by the time the runtime starts again.
    await new Promise((r) => setTimeout(r, 2300));

    const b = make();
    const t0 = Date.now();
    await b.converge(state, opts());
    const r1 = (await b.observe('shop', 'dev')).services[0]!.replicas[0]!;
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(r1).toMatchObject({ id: r0.id, phase: 'ready', restarts: 1 });
    expect(r1.pid).not.toBe(r0.pid);
  });
});
