import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../runtime.js';
import type { ReplicaStatus, RuntimeEvent } from '../../model/observation.js';
import { readProcStat } from './procfs.js';
import { supervisionPace } from './localRuntime.js';
import { fixtureState, useLocalRuntime, waitFor } from './testdata/testing.js';

const local = useLocalRuntime({ sampleIntervalMs: 100 });
const start = (): Runtime => local.start();
const aborts: AbortController[] = [];

afterEach(() => {
  for (const a of aborts.splice(0)) a.abort();
});

/** Starts a converge that may never finish (a crashing workload); it is aborted after the test. */
function background(rt: Runtime, state: ReturnType<typeof fixtureState>, events: RuntimeEvent[] = []): void {
  const ac = new AbortController();
  aborts.push(ac);
  rt.converge(state, { signal: ac.signal, onEvent: (e) => events.push(e) }).catch(() => undefined);
}

async function replica(rt: Runtime): Promise<ReplicaStatus | undefined> {
  return (await rt.observe('shop', 'dev')).services[0]?.replicas[0];
}

/** The replica once it serves again from another process than `before`'s. */
function restarted(rt: Runtime, before: ReplicaStatus): Promise<ReplicaStatus> {
  return waitFor(
    async () => {
      const s = await replica(rt);
      return s && s.phase === 'ready' && s.pid !== before.pid ? s : undefined;
    },
    10_000,
    'a restarted replica',
  );
}

describe('local runtime supervision', () => {
  it('restarts a crashing replica in place with a growing backoff', async () => {
    const rt = start();
    const events: RuntimeEvent[] = [];
    const state = fixtureState({
      fixtureEnv: { FIXTURE_EXIT_CODE: '3' },
      restart: { initialBackoffMs: 300, maxBackoffMs: 2000, resetAfterMs: 60_000 },
    });
    background(rt, state, events);
    const first = await waitFor(() => replica(rt), 5000, 'a replica');
    const r = await waitFor(
      async () => {
        const s = await replica(rt);
        return s && s.restarts >= 3 && s.phase === 'backoff' ? s : undefined;
      },
      10_000,
      '3 restarts',
    );
    expect(r.id).toBe(first.id);
    expect(r.port).toBe(first.port);
    expect(r.lastExit).toMatchObject({ code: 3, signal: null, reason: 'exited with code 3' });
    // ... and the same as codes with params for the console to translate
    expect(r.lastExit?.reasonMessage).toEqual({ code: 'exit.code', params: { code: 3 }, text: 'exited with code 3' });
    // 300 ms, 600 ms, 1.2 s, 2 s: the 4th back-off is the capped one.
    expect(r.message).toMatch(/^back-off (1s|2s) restarting failed replica \(exit code 3\)$/);
    expect(r.messageDetail).toMatchObject({
      code: 'event.backOff',
      params: { reason: { code: 'exit.shortCode', params: { code: 3 } } },
      text: r.message,
    });
    const backoffs = events.filter((e) => e.reason === 'BackOff').map((e) => e.message);
    const exited = events.find((e) => e.reason === 'Exited');
    expect(exited?.detail).toMatchObject({ code: 'event.replicaExited', params: { reason: { code: 'exit.code' } } });
    expect(backoffs.slice(0, 3)).toEqual([
      'back-off 300ms restarting failed replica (exit code 3)',
      'back-off 600ms restarting failed replica (exit code 3)',
      'back-off 1s restarting failed replica (exit code 3)',
    ]);
    expect(local.gateway.backends('shop/dev/orders')).toEqual([]);
  });

  it('restarts a replica whose liveness probe fails, with the reason', async () => {
    const rt = start();
    const base = fixtureState().workload;
    const state = fixtureState({
      workload: {
        ...base,
        env: { FIXTURE_UNHEALTHY_AFTER_MS: '600' },
        readiness: undefined,
        liveness: {
          kind: 'http',
          path: '/healthz',
          initialDelayMs: 0,
          periodMs: 100,
          timeoutMs: 500,
          failureThreshold: 2,
          successThreshold: 1,
        },
        terminationGracePeriodMs: 1000,
      },
    });
    background(rt, state);
    // Under load the command may not listen within the first two periods: a restart for that
    // (ECONNREFUSED) is right too, so wait for the one the fixture's 500s cause.
    const r = await waitFor(
      async () => {
        const s = await replica(rt);
        return s && s.restarts >= 1 && s.lastExit?.reason.includes('HTTP 500') ? s : undefined;
      },
      20_000,
      'a liveness restart for HTTP 500',
    );
    expect(r.lastExit?.reason).toBe('liveness probe failed: HTTP 500 from /healthz');
    expect(r.lastExit?.reasonMessage).toMatchObject({
      code: 'exit.livenessFailed',
      params: { detail: { code: 'probe.httpStatus', params: { status: 500, path: '/healthz' } } },
    });
    // The fixture exits 0 on SIGTERM: the stop was graceful.
    expect(r.lastExit?.code).toBe(0);
  });

  it('restarts a replica whose process was killed by hand', async () => {
    const rt = start();
    await rt.converge(fixtureState(), { signal: new AbortController().signal, onEvent: () => undefined });
    const before = (await replica(rt))!;
    process.kill(before.pid!, 'SIGKILL');
    const after = await restarted(rt, before);
    expect(after.id).toBe(before.id);
    expect(after.port).toBe(before.port);
    expect(after.restarts).toBe(1);
    expect(after.lastExit).toMatchObject({ code: null, signal: 'SIGKILL', reason: 'killed by SIGKILL' });
    expect(await (await fetch(`http://127.0.0.1:${after.port}/`)).text()).toContain(after.id);
    await waitFor(() => local.gateway.backends('shop/dev/orders').includes(after.id), 5000, 'back in the gateway');
  });

  it('rests (a tick every 5 s) once settled, and a crash while resting is restarted with its backoff', async () => {
    const rt = start();
    const state = fixtureState({ restart: { initialBackoffMs: 1500, maxBackoffMs: 3000, resetAfterMs: 60_000 } });
    await rt.converge(state, { signal: new AbortController().signal, onEvent: () => undefined });
    await waitFor(() => supervisionPace(rt) === 'resting', 10_000, 'supervision at rest');
    const before = (await replica(rt))!;
    process.kill(before.pid!, 'SIGKILL');
    // The exit wakes the replica; its set has work again (the backoff, the restart): the usual pace.
    await waitFor(async () => (await replica(rt))?.phase === 'backoff', 5000, 'the replica in backoff');
    expect(supervisionPace(rt)).toBe('usual');
    const after = await restarted(rt, before);
    expect(after.restarts).toBe(1);
    expect(after.lastExit).toMatchObject({ signal: 'SIGKILL', reason: 'killed by SIGKILL' });
    await waitFor(() => supervisionPace(rt) === 'resting', 10_000, 'at rest again');
    // A converge to a new version brings the usual pace back at once, and rolls the replica.
    const next = fixtureState({ revision: 2, hash: 'bbbbbbb2', fixtureEnv: { GREETING: 'hello' } });
    const converged = rt.converge(next, { signal: new AbortController().signal, onEvent: () => undefined });
    await waitFor(() => supervisionPace(rt) === 'usual', 5000, 'the usual pace while converging');
    await converged;
    expect((await replica(rt))?.id).not.toBe(after.id);
  });

  it('a shim SIGKILLed while supervision rests is noticed (its exit wakes the replica) and the replica restarted', async () => {
    const rt = start();
    await rt.converge(fixtureState(), { signal: new AbortController().signal, onEvent: () => undefined });
    await waitFor(() => supervisionPace(rt) === 'resting', 10_000, 'supervision at rest');
    const before = (await replica(rt))!;
    // Resting, a steady replica's shim is checked only by its full poll (every 30 s): within the
    // restart's 10 s only the shim's exit, seen by Node, can wake it.
    process.kill(readProcStat(before.pid!)!.ppid, 'SIGKILL');
    const after = await restarted(rt, before);
    expect(after.restarts).toBe(1);
    expect(after.lastExit?.reason).toBe('its shim died unexpectedly');
  });

  it('notices a shim SIGKILLed (no exit.json), stops its orphaned command and restarts the replica', async () => {
    const rt = start();
    await rt.converge(fixtureState(), { signal: new AbortController().signal, onEvent: () => undefined });
    const before = (await replica(rt))!;
    const shimPid = readProcStat(before.pid!)!.ppid;
    process.kill(shimPid, 'SIGKILL');
    const after = await restarted(rt, before);
    expect(after.restarts).toBe(1);
    expect(after.lastExit?.reason).toBe('its shim died unexpectedly');
    // Killed: gone, or a zombie its new parent has not reaped yet.
    expect([undefined, 'Z']).toContain(readProcStat(before.pid!)?.state);
  });

  it('restarts a replica over its memory limit as OOMKilled', async () => {
    const rt = start();
    const base = fixtureState().workload;
    const state = fixtureState({
      workload: { ...base, env: { FIXTURE_ALLOCATE_MB: '200' }, resources: { memoryLimitBytes: 150 * 1024 * 1024 } },
    });
    background(rt, state);
    const r = await waitFor(
      async () => {
        const s = await replica(rt);
        return s && s.restarts >= 1 ? s : undefined;
      },
      10_000,
      'an OOM restart',
    );
    expect(r.lastExit).toMatchObject({
      reason: 'OOMKilled',
      signal: 'SIGKILL',
      reasonMessage: { code: 'exit.oomKilled' },
    });
  });
});
