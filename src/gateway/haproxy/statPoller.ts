// How often HAProxy's counters are read (`show stat` over the admin socket): every `intervalMs`
// while they move, backing off (doubling) to `idleIntervalMs` while two reads in a row are the same,
// and back to `intervalMs` at once on a sign of traffic (`kick`: a log line, a table change). Idle,
// a gateway with 100 services read ~300 rows four times a second for nothing (HAProxy writing them,
// the gateway parsing them: ~20-30 ms of CPU a second between them).
//
// Once the counters are settled (a full read the same as the one before), each idle turn asks a cheap
// `probe` first (idleProbe.ts: `show info`'s totals while no stream is in flight, else the frontends'
// and backends' rows without the server slots) and skips the full read while the probe says what it
// said before the last full read: no counter can have moved. A full `show stat` of 100 services is ~1,900 rows, 450 kB:
// every 2 s it was ~3 ms/s of HAProxy and ~3 ms/s of the gateway's main thread while nothing happened.
import type { StatRow } from './adminSocket.js';

export interface StatPollerOptions {
  /** One read; undefined when there is nothing to read now (no HAProxy, a reload under way): skipped. */
  read(): Promise<StatRow[]> | undefined;
  /** A read's rows, and whether they say something else than the read before (a cheap summary differs). */
  rows(rows: StatRow[], moved: boolean): void;
  /**
   * A cheap read whose answer changes whenever traffic may have moved any counter of `read` (a new
   * connection or request, a stream or connection that ended, an answer); undefined when it cannot be
   * asked now. Without it, every turn is a full read.
   */
  probe?(): Promise<string> | undefined;
  intervalMs?: number;
  idleIntervalMs?: number;
  /**
   * The longest wait between probes while settled (they double from `idleIntervalMs`); default
   * `idleIntervalMs`. A reader that wants the counters as of now calls `fresh()`.
   */
  restIntervalMs?: number;
}

/** A cheap summary of what a read says: equal summaries mean nothing moved between two reads. */
function summary(rows: StatRow[]): string {
  let requests = 0;
  let connections = 0;
  let sessions = 0;
  let errors = 0;
  let statuses = '';
  for (const r of rows) {
    requests += r.requests;
    connections += r.connections;
    sessions += r.sessions + r.queued;
    errors += r.errors5xx;
    statuses += r.status;
  }
  return `${rows.length} ${requests} ${connections} ${sessions} ${errors} ${statuses}`;
}

export class StatPoller {
  private readonly opts: StatPollerOptions;
  private readonly base: number;
  private readonly idle: number;
  private readonly rest: number;
  private delay: number;
  private started = false;
  /** The turn under way (a probe, a read), resolved when it is done. */
  private turn: Promise<void> | undefined;
  private turnDone: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private kicked = false;
  private closed = false;
  private last = '';
  /** The last full read was the same as the one before: a probe may stand in for the next. */
  private settled = false;
  /** The answer of the probe asked just before the last full read (undefined: that read had none). */
  private probed: string | undefined;
  /** Full reads and reads a probe made unnecessary (tests and logs). */
  readonly counts = { reads: 0, skipped: 0 };

  constructor(opts: StatPollerOptions) {
    this.opts = opts;
    this.base = opts.intervalMs ?? 250;
    this.idle = Math.max(this.base, opts.idleIntervalMs ?? 2_000);
    this.rest = Math.max(this.idle, opts.restIntervalMs ?? this.idle);
    this.delay = this.base;
  }

  /** The wait before the next read (ms). */
  get interval(): number {
    return this.delay;
  }

  start(): void {
    this.started = true;
    if (this.timer !== undefined || this.polling || this.closed) return;
    this.schedule(this.base);
  }

  /**
   * The counters as of now, for a reader: at the quick pace they are at most `intervalMs` old and
   * nothing is done; slower, a turn is taken now (the probe, a full read if it says something
   * moved) or the one under way awaited.
   */
  fresh(): Promise<void> {
    if (this.closed || !this.started || this.delay === this.base) return this.turn ?? Promise.resolve();
    if (this.polling) return this.turn ?? Promise.resolve();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.poll();
    return this.turn ?? Promise.resolve();
  }

  /** Traffic was seen: read at the quick interval again (now, if the poller had slowed down). */
  kick(): void {
    if (this.closed || this.delay === this.base) return;
    this.kicked = true;
    if (this.polling || this.timer === undefined) return; // the read under way schedules the next
    clearTimeout(this.timer);
    this.schedule(this.base);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.endTurn();
  }

  private endTurn(): void {
    const done = this.turnDone;
    this.turn = this.turnDone = undefined;
    done?.();
  }

  private schedule(ms: number): void {
    this.endTurn();
    this.delay = ms;
    this.timer = setTimeout(() => this.poll(), ms);
    this.timer.unref();
  }

  private poll(): void {
    this.timer = undefined;
    this.turn ??= new Promise<void>((resolve) => (this.turnDone = resolve));
    const probe = this.settled && !this.kicked ? this.opts.probe?.() : undefined;
    if (probe === undefined) {
      // A later probe is compared with one asked before this read only: counters that start again
      // from zero in a reloaded worker could otherwise come back to an older probe's answer.
      this.probed = undefined;
      return this.read();
    }
    this.polling = true;
    probe
      .then((answer) => {
        if (this.closed) return this.endTurn();
        if (answer === this.probed && !this.kicked) {
          this.polling = false;
          this.counts.skipped++;
          return this.schedule(Math.min(this.delay * 2, this.rest));
        }
        this.probed = answer;
        this.read();
      })
      .catch(() => {
        this.probed = undefined;
        this.read();
      });
  }

  private read(): void {
    const read = this.opts.read();
    if (read === undefined) {
      this.polling = false;
      return this.schedule(this.base);
    }
    this.polling = true;
    this.counts.reads++;
    let moved = false;
    read
      .then((rows) => {
        const s = summary(rows);
        moved = s !== this.last;
        this.last = s;
        this.settled = !moved;
        this.opts.rows(rows, moved);
      })
      .catch(() => (this.settled = false))
      .finally(() => {
        this.polling = false;
        if (this.closed) return;
        const quick = moved || this.kicked;
        this.kicked = false;
        this.schedule(quick ? this.base : Math.min(this.delay * 2, this.idle));
      });
  }
}
