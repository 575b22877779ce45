/**
 * A release's timeout: stored with it, counted from when it first started (so a resumed release keeps
 * its deadline, not a fresh one), on the engine's clock.
 */
import { TimeoutError } from '../../errors.js';
import { message as coded } from '../../model/messages.js';
import type { Release } from '../releases.js';
import type { EngineClock } from './clock.js';

/** `5s`, `90s`, `10m`: a timeout as a person wrote it. */
export function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 120 && s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/** An abort signal for the release's timeout, counted from when it started (so a resumed release keeps its deadline). */
export function deadlineOf(release: Release, clock: EngineClock): { signal: AbortSignal; clear(): void } | undefined {
  const timeoutMs = release.options.timeoutMs;
  if (timeoutMs === undefined) return undefined;
  const startedMs = Date.parse(release.startedAt ?? release.createdAt);
  const ac = new AbortController();
  const m = coded('release.timedOut', { duration: durationText(timeoutMs) });
  const clear = clock.setTimer(Math.max(0, startedMs + timeoutMs - clock.now()), () =>
    ac.abort(Object.assign(new TimeoutError(m.text), { reasonMessage: m })),
  );
  return { signal: ac.signal, clear };
}
