/**
 * The gateway's listeners: one HTTP server per service port and per edge port, reconciled
 * against each new table. Existing listeners are updated in place (their BackendSet and
 * compiled routes are swapped, the socket stays open); new ports are bound; listeners that are
 * gone stop accepting, finish their in-flight requests and close their idle connections. One
 * listener is httpListener.ts; an edge's certificates, edgeCertificates.ts.
 */
import { Balancer } from './balancer.js';
import type { PoolOptions } from './balancer.js';
import { routeLabel } from './routeCounters.js';
import { compileRoutes } from './router.js';
import type { RoutingTable, ServiceTraffic } from './table.js';
import { TcpListeners } from './tcpListeners.js';
import type { HostBindError } from './bind.js';
import type { ListenerError, ListenerStatsJSON } from './listenerTypes.js';
import type { DataPlaneListeners } from './dataPlane.js';
import { ApplyCount } from './dataPlane.js';
import type { SpanQueue } from './spans.js';
import { Listener, type ListenerKind } from './httpListener.js';

export type { ListenerError, ListenerStatsJSON } from './listenerTypes.js';

/** Waits for `p` at most `ms`; true if it settled in time. */
async function withTimeout(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([p.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}

/** Options of the listener set. */
export interface ListenersOptions {
  /** Longest time a removed listener (or the whole gateway on close) waits for in-flight requests. */
  drainTimeoutMs?: number;
  /**
   * Longest time `apply` waits for requests in flight to removed backends before it resolves
   * (streams and long polls may take longer; they still finish, the caller just is not told).
   */
  removalWaitMs?: number;
  /** Idle keep-alive timeout of client connections. */
  keepAliveTimeoutMs?: number;
  pool?: Partial<PoolOptions>;
  /**
   * Every listener is an internal hand-off port behind the HAProxy data plane, which sets
   * X-Forwarded-Proto (`https` for what it received over TLS): edges take the scheme from it.
   */
  handoff?: boolean;
  /** Tracing: every proxied hop continues or starts a W3C trace and queues its span here. Off when absent. */
  spans?: SpanQueue;
  /** The part of each rate limit these listeners enforce: 1/N in each of N gateway workers (default 1). */
  policyShare?: number;
}

/** All listeners of the gateway and the balancer behind them: the Node data plane. */
export class Listeners implements DataPlaneListeners {
  private readonly balancer: Balancer;
  private readonly tcp: TcpListeners;
  private readonly listeners = new Map<string, Listener>();
  private readonly closing = new Set<Promise<void>>();
  private readonly drainTimeoutMs: number;
  private readonly keepAliveTimeoutMs: number;
  private readonly removalWaitMs: number;
  private readonly handoff: boolean;
  private readonly spans: SpanQueue | undefined;
  private readonly applies = new ApplyCount();

  constructor(opts: ListenersOptions = {}) {
    this.handoff = opts.handoff ?? false;
    this.spans = opts.spans;
    this.removalWaitMs = opts.removalWaitMs ?? 3_000;
    this.balancer = new Balancer(opts.pool, opts.policyShare);
    this.tcp = new TcpListeners({ drainTimeoutMs: opts.drainTimeoutMs ?? 10_000 });
    this.drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
    this.keepAliveTimeoutMs = opts.keepAliveTimeoutMs ?? 30_000;
  }

  /**
   * Makes the listeners serve `table`. Resolves once every new listener listens and the new
   * backends are in use; ports that cannot be bound are returned, the rest is applied regardless.
   */
  apply(table: RoutingTable): Promise<ListenerError[]> {
    return this.applies.during(() => this.applyTable(table));
  }

  private async applyTable(table: RoutingTable): Promise<ListenerError[]> {
    const drained = this.balancer.apply(table.services);

    const wanted = new Map<string, { kind: ListenerKind; key: string; port: number; secure?: boolean }>();
    for (const s of table.services) wanted.set(`service ${s.key}`, { kind: 'service', key: s.key, port: s.port });
    for (const e of table.edges) {
      wanted.set(`edge ${e.key}`, { kind: 'edge', key: e.key, port: e.port });
      if (e.tls) wanted.set(`edge-tls ${e.key}`, { kind: 'edge', key: e.key, port: e.tls.port, secure: true });
    }

    // Close first, so a port that moves from one key to another is free to bind.
    for (const [id, l] of this.listeners) {
      const w = wanted.get(id);
      if (w === undefined || w.port !== l.port) {
        this.listeners.delete(id);
        this.track(l.close(this.drainTimeoutMs));
      }
    }

    // Service addresses listen on the table's further hosts too; a hand-off port behind HAProxy never does.
    const hosts = this.handoff ? [] : (table.serviceHosts ?? []);
    // L4 listeners between the two: a port that moves between HTTP and L4 is free on both sides.
    const errors: ListenerError[] = await this.tcp.apply(table.tcp ?? [], hosts);

    const created = new Map<string, Listener>();
    for (const [id, w] of wanted) {
      if (!this.listeners.has(id))
        created.set(
          id,
          new Listener(w.kind, w.key, w.port, this.keepAliveTimeoutMs, this.spans, w.secure, this.handoff),
        );
    }
    // Backends and routes are set before any new listener accepts, so none serves an empty table.
    const find = (id: string): Listener | undefined => this.listeners.get(id) ?? created.get(id);
    for (const s of table.services) {
      const l = find(`service ${s.key}`);
      if (l) l.set = this.balancer.set(s.key);
    }
    for (const e of table.edges) {
      const secure = find(`edge-tls ${e.key}`);
      if (secure && e.tls) {
        try {
          secure.setCertificates(e.tls.certificates);
        } catch (err) {
          // Not listening without its certificates (a listening one keeps its old ones).
          created.delete(`edge-tls ${e.key}`);
          errors.push({ key: e.key, port: e.tls.port, message: (err as Error).message });
        }
      }
      const plain = find(`edge ${e.key}`);
      if (plain) plain.redirectPort = e.tls?.redirect ? e.tls.port : undefined;
      if (!plain && !secure) continue;
      // One compiled table for both ports: a route's policy state and counters are the same.
      const routes = compileRoutes(e.routes, (r) => {
        const set = this.balancer.set(r.target);
        return {
          set,
          unavailable: Buffer.from(`no ready replicas for ${r.target}\n`),
          policy: set?.policies.route(e.key, r),
          counters: set?.routes.route(e.key, r),
          service: r.target,
          label: routeLabel(r),
        };
      });
      if (plain) plain.routes = routes;
      if (secure) secure.routes = routes;
    }
    this.balancer.commitRoutes();

    await Promise.all(
      [...created].map(([id, l]) =>
        l.listen().then(
          () => void this.listeners.set(id, l),
          (err: NodeJS.ErrnoException) =>
            void errors.push({ key: l.key, port: l.port, message: err.code ?? err.message }),
        ),
      ),
    );

    await Promise.all(
      [...this.listeners.values()]
        .filter((l) => l.kind === 'service')
        .map((l) =>
          l.extra
            .set(hosts)
            .catch((err: HostBindError) => void errors.push({ key: l.key, port: l.port, message: err.code })),
        ),
    );

    // A request dispatched just before this table may still sit in a removed backend's pool,
    // unwritten: acknowledging now would let the caller stop that backend while the request is on
    // the wire. So wait (bounded) until the removed backends have finished what they were given.
    await withTimeout(drained, this.removalWaitMs);

    const used = this.balancer.upstreamIds();
    for (const l of this.listeners.values()) {
      for (const id of l.stats.backends.keys()) if (!used.has(id)) l.stats.backends.delete(id);
    }
    return errors;
  }

  /** Counters of every listener. */
  stats(): ListenerStatsJSON[] {
    return [...[...this.listeners.values()].map((l) => l.statsJSON()), ...this.tcp.stats()];
  }

  /** Cumulative per-track counters of every service of the table. */
  traffic(): ServiceTraffic[] {
    return this.balancer.traffic();
  }

  /**
   * See DataPlaneListeners.activity: every counter moves with a listener's `requests` (counted as a
   * request or connection begins, with its policy counters, its track chosen and its backend) or
   * with its `inFlight` (while a request is in flight its exchange moves counters on its own, so
   * nothing can be said), errors as they end; L4 listeners' open connections; a table applied.
   */
  activity(): string | undefined {
    // A closing listener still finishes requests whose track counters move; an apply changes
    // listeners and tracks step by step.
    if (this.applies.running !== 0 || this.closing.size !== 0) return undefined;
    let requests = 0;
    let errors = 0;
    for (const l of this.listeners.values()) {
      if (l.stats.inFlight !== 0) return undefined;
      requests += l.stats.requests;
      errors += l.stats.errors;
    }
    const tcp = this.tcp.activity();
    if (tcp === undefined) return undefined;
    return `${this.applies.done}.${this.listeners.size}.${requests}.${errors}.${tcp}`;
  }

  /** Closes every listener and pool, waiting at most the drain timeout for in-flight requests. */
  async close(): Promise<void> {
    for (const l of this.listeners.values()) this.track(l.close(this.drainTimeoutMs));
    this.listeners.clear();
    await Promise.all([...this.closing, this.tcp.close()]);
    if (!(await withTimeout(this.balancer.close(), this.drainTimeoutMs))) await this.balancer.destroy();
  }

  private track(p: Promise<void>): void {
    this.closing.add(p);
    void p.finally(() => this.closing.delete(p));
  }
}
