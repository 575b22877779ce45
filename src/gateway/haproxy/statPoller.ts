// How often HAProxy's counters are read (`show stat` over the admin socket): every `intervalMs`
// while they move, backing off (doubling) to `idleIntervalMs` while two reads in a row are the same,
// and back to `intervalMs` at once on a sign of traffic (`kick`: a log line, a table change). Idle,
// a gateway with 100 services read ~300 rows four times a second for nothing (HAProxy writing them,
// the gateway parsing them: ~20-30 ms of CPU a second between them).
import type { StatRow } from './adminSocket.js';

export interface StatPollerOptions {
  /** One read; undefined when there is nothing to read now (no HAProxy, a reload under way): skipped. */
  read(): Promise<StatRow[]> | undefined;
  /** A read's rows. */
  rows(rows: StatRow[]): void;
  intervalMs?: number;
  idleIntervalMs?: number;
}

/** A cheap summary of what a read says: equal summaries mean nothing moved between two reads. */
function summary(rows: StatRow[]): string {
  let requests = 0;
  let sessions = 0;
  let errors = 0;
  let statuses = '';
  for (const r of rows) {
    requests += r.requests;
    sessions += r.sessions + r.queued;
    errors += r.errors5xx;
    statuses += r.status;
  }
  return `${rows.length} ${requests} ${sessions} ${errors} ${statuses}`;
}

export class StatPoller {
  private readonly opts: StatPollerOptions;
  private readonly base: number;
  private readonly idle: number;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private kicked = false;
  private closed = false;
  private last = '';

  constructor(opts: StatPollerOptions) {
    this.opts = opts;
    this.base = opts.intervalMs ?? 250;
    this.idle = Math.max(this.base, opts.idleIntervalMs ?? 2_000);
    this.delay = this.base;
  }

  /** The wait before the next read (ms). */
  get interval(): number {
    return this.delay;
  }

  start(): void {
    if (this.timer !== undefined || this.polling || this.closed) return;
    this.schedule(this.base);
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
  }

  private schedule(ms: number): void {
    this.delay = ms;
    this.timer = setTimeout(() => this.poll(), ms);
    this.timer.unref();
  }

  private poll(): void {
    this.timer = undefined;
    const read = this.opts.read();
    if (read === undefined) return this.schedule(this.base);
    this.polling = true;
    let moved = false;
    read
      .then((rows) => {
        const s = summary(rows);
        moved = s !== this.last;
        this.last = s;
        this.opts.rows(rows);
      })
      .catch(() => undefined)
      .finally(() => {
        this.polling = false;
        if (this.closed) return;
        const quick = moved || this.kicked;
        this.kicked = false;
        this.schedule(quick ? this.base : Math.min(this.delay * 2, this.idle));
      });
  }
}
