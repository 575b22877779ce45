/**
 * Readiness is probed every few ms until a replica is first ready; failures in its first probe period
 * are start-up and raise no Unhealthy event, failures beyond it do.
 */
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../../model/observation.js';
import { fixtureState, useLocalRuntime } from './testdata/testing.js';

const local = useLocalRuntime();

async function converge(readyAfterMs: number, periodMs: number): Promise<RuntimeEvent[]> {
  const runtime = local.start();
  const base = fixtureState({ fixtureEnv: { FIXTURE_READY_AFTER_MS: String(readyAfterMs) } });
  const state = { ...base, workload: { ...base.workload, readiness: { ...base.workload.readiness!, periodMs } } };
  const events: RuntimeEvent[] = [];
  await runtime.converge(state, { signal: new AbortController().signal, onEvent: (e) => events.push(e) });
  return events;
}

describe('readiness events during start-up', () => {
  it('raises no Unhealthy event for a replica that becomes ready within its first period', async () => {
    const events = await converge(300, 2000);
    expect(events.map((e) => e.reason)).toContain('Ready');
    expect(events.filter((e) => e.reason === 'Unhealthy')).toEqual([]);
  });

  it('raises one for a replica that is still not ready after its first period', async () => {
    // Unready for 2 s after its own start: well past the first period even when Node boots slowly.
    const events = await converge(2000, 100);
    const unhealthy = events.filter((e) => e.reason === 'Unhealthy');
    expect(unhealthy.length).toBeGreaterThan(0);
    expect(unhealthy[0]!.message).toMatch(
      /^readiness probe failed: (GET \/healthz: connect ECONNREFUSED|HTTP 503 from \/healthz)/,
    );
    // the probe's own finding is a code inside the event's, the OS error kept as it is
    expect(unhealthy[0]!.detail).toMatchObject({ code: 'event.readinessFailed', text: unhealthy[0]!.message });
    const probe = unhealthy[0]!.detail!.params.detail as { code: string; params: Record<string, unknown> };
    expect(['probe.httpError', 'probe.httpStatus']).toContain(probe.code);
    expect(probe.params.path).toBe('/healthz');
    expect(events.map((e) => e.reason)).toContain('Ready');
  });
});
