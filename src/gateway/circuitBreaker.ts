/**
 * The circuit breaker of a service (or of one edge route that has its own): closed while the
 * service answers; open after too many failures, answering for it without sending anything; after
 * `openMs` half-open, letting a few probe requests through to decide whether to close again.
 * Driven by the requests themselves (no timers): the open → half-open step happens on the first
 * request after `openMs`.
 */
import type { CircuitStatus } from '../model/observation.js';
import type { TrafficPolicy } from '../model/routing.js';
import { message, type Message } from '../model/messages.js';
import { formatDuration } from '../model/durations.js';

/** The breaker's settings, as in a TrafficPolicy. */
export type CircuitBreakerConfig = NonNullable<TrafficPolicy['circuitBreaker']>;

/** How a request admitted by the breaker ended. */
export const Outcome = { success: 'success', failure: 'failure', cancelled: 'cancelled' } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** `allow` refused the request: the circuit is open (or half-open with every probe slot taken). */
export const rejected = -1;
/** `allow` admitted the request as ordinary traffic of a closed circuit. */
const closedTicket = 0;

/** Slots of the error-rate window: the window slides in steps of windowMs / slotCount. */
const slotCount = 10;

/** One circuit breaker. Times are a monotonic clock in milliseconds (performance.now()). */
export class CircuitBreaker {
  readonly config: CircuitBreakerConfig;
  private state: CircuitStatus['state'] = 'closed';
  private consecutive = 0;
  private openedAtMs = 0;
  private openedAt: string | undefined;
  private reason: Message | undefined;
  /** Increases every time the circuit half-opens, so a late probe of an earlier round is ignored. */
  private round = 0;
  private probesStarted = 0;
  private probesSucceeded = 0;
  private readonly slotMs: number;
  private readonly slotStamp = new Array<number>(slotCount).fill(-1);
  private readonly slotRequests = new Array<number>(slotCount).fill(0);
  private readonly slotFailures = new Array<number>(slotCount).fill(0);
  private readonly wallClock: () => number;

  constructor(config: CircuitBreakerConfig, wallClock: () => number = Date.now) {
    this.config = config;
    this.slotMs = Math.max(1, config.windowMs / slotCount);
    this.wallClock = wallClock;
  }

  /**
   * Whether a request may go through at `nowMs`: `rejected`, or a ticket to hand back to `record`
   * when the request ends (it tells a half-open probe from ordinary traffic).
   */
  allow(nowMs: number): number {
    if (this.state === 'closed') return closedTicket;
    if (this.state === 'open') {
      if (nowMs - this.openedAtMs < this.config.openMs) return rejected;
      this.state = 'halfOpen';
      this.round++;
      this.probesStarted = 0;
      this.probesSucceeded = 0;
    }
    if (this.probesStarted >= this.config.halfOpenRequests) return rejected;
    this.probesStarted++;
    return this.round;
  }

  /** Counts the end of a request admitted with `ticket`. */
  record(ticket: number, outcome: Outcome, nowMs: number): void {
    if (ticket === closedTicket) {
      // Answers to requests sent before the circuit opened say nothing about the service now.
      if (this.state === 'closed' && outcome !== Outcome.cancelled)
        this.recordClosed(outcome === Outcome.failure, nowMs);
      return;
    }
    if (this.state !== 'halfOpen' || ticket !== this.round) return;
    if (outcome === Outcome.cancelled) {
      this.probesStarted--;
    } else if (outcome === Outcome.failure) {
      this.open(nowMs, message('circuit.probeFailed'));
    } else if (++this.probesSucceeded >= this.config.halfOpenRequests) {
      this.state = 'closed';
      this.reset();
    }
  }

  /** The state as `GET /stats` reports it; an open circuit whose time is up shows as half-open. */
  status(nowMs: number): CircuitStatus {
    let state = this.state;
    if (state === 'open' && nowMs - this.openedAtMs >= this.config.openMs) state = 'halfOpen';
    const s: CircuitStatus = { state };
    if (this.openedAt !== undefined) s.openedAt = this.openedAt;
    if (this.reason !== undefined) {
      s.reason = this.reason.text;
      s.reasonMessage = this.reason;
    }
    return s;
  }

  private recordClosed(failed: boolean, nowMs: number): void {
    const { consecutiveFailures, errorRate, minRequests, windowMs } = this.config;
    this.consecutive = failed ? this.consecutive + 1 : 0;
    if (consecutiveFailures !== undefined && this.consecutive >= consecutiveFailures) {
      this.open(nowMs, message('circuit.failures', { count: this.consecutive }));
      return;
    }
    if (errorRate === undefined) return;
    const stamp = Math.floor(nowMs / this.slotMs);
    const slot = stamp % slotCount;
    if (this.slotStamp[slot] !== stamp) {
      this.slotStamp[slot] = stamp;
      this.slotRequests[slot] = 0;
      this.slotFailures[slot] = 0;
    }
    this.slotRequests[slot]!++;
    if (failed) this.slotFailures[slot]!++;
    if (!failed) return;
    let requests = 0;
    let failures = 0;
    for (let i = 0; i < slotCount; i++) {
      if (this.slotStamp[i]! > stamp - slotCount) {
        requests += this.slotRequests[i]!;
        failures += this.slotFailures[i]!;
      }
    }
    if (requests >= minRequests && failures / requests > errorRate) {
      const percent = Math.round((failures / requests) * 100);
      this.open(nowMs, message('circuit.errorRate', { percent, window: formatDuration(windowMs) }));
    }
  }

  private open(nowMs: number, reason: Message): void {
    this.state = 'open';
    this.openedAtMs = nowMs;
    this.openedAt = new Date(this.wallClock()).toISOString();
    this.reason = reason;
    this.reset();
  }

  private reset(): void {
    this.consecutive = 0;
    this.slotStamp.fill(-1);
  }
}
