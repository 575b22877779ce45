// The StatPoller's reads and probes of one HAProxy plane, with the cheapest probe that can see a change.
//
// While no stream is in flight behind any backend (the last full read's backend rows: no session now and
// none queued), anything that can move a counter first opens a connection (`CumConns`), sends a request
// whose head is whole (`CumReq`: counted when req_tot is) or closes a connection (`CurrConns`): `show info`
// says all three process-wide in ~1 kB, against `show stat -1 3 -1`'s 52 kB at 100 services (~1.3 ms of
// HAProxy's CPU and the gateway's parse, every 2 s while idle). Each command on the admin socket is itself a
// connection and a request, so the probe subtracts the ones this object sent (its own reads and probes, one
// at a time); any other command (a table change, an operator's) reads as a change, so a full read follows:
// a miscount only ever costs a read, never hides one. While a stream is in flight its end moves a backend's
// counters and nothing in `show info` (a kept-alive client stays connected), so the frontends' and backends'
// totals stay the probe then (a TCP client's pool held open to a database service settles that way).
import type { AdminSocket, StatRow } from './adminSocket.js';

/** Whether a backend of `rows` has a stream in flight (a session now, or one queued). */
export function streamsInFlight(rows: readonly StatRow[]): boolean {
  return rows.some((r) => r.name === 'BACKEND' && (r.sessions > 0 || r.queued > 0));
}

export class IdleProbe {
  private readonly admin: () => AdminSocket;
  /** Commands this object has sent (each adds one to CumConns and CumReq of the worker it reached). */
  private sent = 0;
  /** Probes asked of each kind (tests and logs). */
  readonly counts = { info: 0, totals: 0 };

  constructor(admin: () => AdminSocket) {
    this.admin = admin;
  }

  /** A full `show stat`. */
  read(): Promise<StatRow[]> {
    this.sent++;
    return this.admin().stat();
  }

  /**
   * A string that stays the same while no counter of `read` can have moved, given `last` (the rows of the
   * last full read). Never called while a read or another probe of this object is under way (StatPoller).
   */
  probe(last: readonly StatRow[]): Promise<string> {
    const sent = ++this.sent;
    if (streamsInFlight(last)) {
      this.counts.totals++;
      return this.admin().proxyTotals();
    }
    this.counts.info++;
    // The pid: a reloaded worker counts from zero again and must never match an older worker's answer.
    return this.admin()
      .info()
      .then((i) => `info ${i.pid} ${i.connections - sent} ${i.requests - sent} ${i.open}`);
  }
}
