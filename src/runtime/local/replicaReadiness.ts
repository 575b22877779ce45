/**
 * When a failed readiness check is news. Readiness is probed every few ms until a replica is first
 * ready, so failures in the first period after start (before Kubernetes would even have probed)
 * are start-up, not news; one that still fails at the end of that period is reported then, so a
 * fast-failing probe does not hide a slow start.
 */
import { message, said, type Message } from '../../model/messages.js';
import type { RuntimeEvent } from '../../model/observation.js';

/** What the report needs of the replica. */
export interface UnreadyReport {
  replica: string;
  /** Time since the run started. */
  ranMs: number;
  /** The readiness probe's period (0 without one). */
  periodMs: number;
  /** Whether the replica was ready before this failure. */
  wasReady: boolean;
  /** The probe's latest finding, read when the event is sent. */
  finding(): Message;
  /** Whether the failure still matters at the end of the first period (same run, not terminating, not ready). */
  stillUnready(): boolean;
  emit(e: Omit<RuntimeEvent, 'time' | 'service'>): void;
}

/** Emits `Unhealthy` for a failed readiness check now, or at the end of the first period if it is still failing. */
export function reportUnready(r: UnreadyReport): void {
  const event = (): Message => message('event.readinessFailed', { detail: r.finding() });
  const startingUp = !r.wasReady && r.ranMs < r.periodMs;
  if (!startingUp) {
    r.emit({ replica: r.replica, type: 'Warning', reason: 'Unhealthy', ...said(event()) });
    return;
  }
  setTimeout(() => {
    if (r.stillUnready()) r.emit({ replica: r.replica, type: 'Warning', reason: 'Unhealthy', ...said(event()) });
  }, r.periodMs - r.ranMs).unref();
}
