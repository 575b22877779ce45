/**
 * A crash loop of the new version's pods fails the rollout at once (issue 12, point 3), not at the
 * progress deadline: against the fake API server, whose pods can crash-loop (exit code 3, `boom`).
 */
import { messageOf } from '../../model/messages.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CRASH_LOOP_THRESHOLD, type Runtime } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import { crashLoopOf, type CrashPod } from './crashLoop.js';
import { startHarness, testState, type KubeHarness } from './testing/harness.js';

const NS = 'berth-test';
const app = 'shop';
const env = 'prod';
const opts = (events: RuntimeEvent[] = []) => ({
  signal: AbortSignal.timeout(60_000),
  onEvent: (e: RuntimeEvent) => events.push(e),
});
/** A 10-minute progress deadline, in real time: only a crash loop can end these rollouts early. */
const state = (hash: string) => testState({ app, env, service: 'web', replicas: 1, hash, progressDeadlineMs: 600_000 });
const REASON =
  /^web: crash loop: pod web-[a-z0-9]+-[a-z0-9]+ container web crashed 1 time in a row without ever becoming ready \(CrashLoopBackOff\); last exit: exited with code 3 \(Error\); last message: boom$/;

describe('kubernetes runtime: crash loops', () => {
  let h: KubeHarness;
  let rt: Runtime;
  beforeEach(async () => {
    h = await startHarness({ msPerDeadlineSecond: 1000 });
    rt = h.open();
  });
  afterEach(async () => {
    await h.close();
  });

  it('fails a rollout whose new pods crash-loop within seconds, naming the pod, the container and its last exit', async () => {
    await rt.converge(state('a1'), opts());
    h.server.setRolloutMode('crashloop');
    const events: RuntimeEvent[] = [];
    const started = Date.now();
    const err = await rt.converge(state('b2'), opts(events)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const elapsed = Date.now() - started;
    console.log(`crash-looping rollout failed after ${elapsed} ms (progress deadline 600000 ms): ${err?.message}`);
    expect(err?.message).toMatch(REASON);
    // It says so with a code: the failed release's reason reads in the console's language.
    expect(messageOf(err)).toMatchObject({ code: 'release.kubernetesCrashLoop', text: err?.message });
    expect(elapsed).toBeLessThan(5_000);
    expect(
      events.some(
        (e) =>
          e.type === 'Warning' && e.reason === 'CrashLoop' && REASON.test(e.message.replace(/^Deployment\/web: /, '')),
      ),
    ).toBe(true);
    // The old version keeps serving: its pod is still there and Ready.
    const pods = h.server.list('v1', 'Pod', NS);
    const old = pods.filter((p) => p.metadata.annotations?.['berth.dev/hash'] === 'a1');
    expect(old).toHaveLength(1);
    expect(JSON.stringify(old[0]!.status?.conditions)).toContain('"Ready","status":"True"');
  }, 30_000);

  it('leaves a healthy rollout alone, even beside crash-looping pods of the version it replaces', async () => {
    h.server.setRolloutMode('crashloop');
    await expect(rt.converge(state('a1'), opts())).rejects.toThrow(REASON);
    h.server.setRolloutMode('progress');
    const events: RuntimeEvent[] = [];
    await rt.converge(state('b2'), opts(events));
    expect(events.filter((e) => e.reason === 'CrashLoop')).toEqual([]);
    expect(h.server.list('v1', 'Pod', NS).map((p) => p.metadata.annotations?.['berth.dev/hash'])).toEqual(['b2']);
  }, 30_000);
});

describe('crashLoopOf', () => {
  const pod = (container: Record<string, unknown>, ready = false): CrashPod => ({
    metadata: { name: 'web-abc12-xyz34' },
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'web', ...container }],
    },
  });
  const oom = { terminated: { exitCode: 137, reason: 'OOMKilled' } };

  it(`counts a container restarted ${CRASH_LOOP_THRESHOLD} times while never ready, with its last termination`, () => {
    expect(crashLoopOf('web', pod({ restartCount: CRASH_LOOP_THRESHOLD - 1, lastState: oom }), false)).toBeUndefined();
    expect(
      crashLoopOf('web', pod({ restartCount: CRASH_LOOP_THRESHOLD, state: { running: {} }, lastState: oom }), false)
        ?.message,
    ).toBe(
      'web: crash loop: pod web-abc12-xyz34 container web crashed 3 times in a row without ever becoming ready; last exit: exited with code 137 (OOMKilled)',
    );
    const m = messageOf(crashLoopOf('web', pod({ restartCount: CRASH_LOOP_THRESHOLD, lastState: oom }), false));
    expect(m?.params).toMatchObject({ pod: 'web-abc12-xyz34', container: 'web', restarts: 3, waiting: '' });
    expect(m?.params['lastExit']).toMatchObject({
      code: 'crash.lastExit',
      params: { exit: { code: 'crash.exitCode', params: { code: 137 } }, reason: ' (OOMKilled)' },
    });
  });

  it('leaves alone a pod that is or was ready', () => {
    const looping = { restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } } };
    expect(crashLoopOf('web', pod(looping), true)).toBeUndefined();
    expect(crashLoopOf('web', pod(looping, true), false)).toBeUndefined();
    expect(crashLoopOf('web', pod(looping), false)?.message).toMatch(/crashed 5 times .*\(CrashLoopBackOff\)$/);
  });
});
