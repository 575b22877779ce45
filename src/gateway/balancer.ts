/**
 * Backends and their connection pools. Every service key has one BackendSet (shared by its
 * service listener and any edge route that targets it) that round-robins over its ready
 * backends. Pools are keyed by backend id and address, so a backend unchanged across table
 * updates keeps its warm connections; a backend that leaves is drained: no new request is sent
 * to it, in-flight ones finish, then its pool closes.
 */
import { Pool } from 'undici';
import type { Backend, ServiceListener } from './table.js';

/** Tuning of the upstream pools. */
export interface PoolOptions {
  /** Longest wait for response headers from a backend. */
  headersTimeoutMs: number;
  /** Longest silence inside a response body; 0 disables it (streams, SSE). */
  bodyTimeoutMs: number;
  /** How long an idle upstream connection is kept. */
  keepAliveTimeoutMs: number;
  /** Upper bound on connections per backend (null: unbounded). */
  connections: number | null;
}

const defaultPoolOptions: PoolOptions = {
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 0,
  keepAliveTimeoutMs: 4_000,
  connections: null,
};

/** One backend with its keep-alive connection pool. */
export interface Upstream {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly origin: string;
  readonly pool: Pool;
}

/** The ready backends of one service, picked round robin. */
export class BackendSet {
  /** `app/env/service`. */
  readonly key: string;
  /** 503 body when the set is empty; precomputed so the hot path does not build it. */
  readonly unavailableBody: Buffer;
  upstreams: Upstream[] = [];
  private next = 0;

  constructor(key: string) {
    this.key = key;
    this.unavailableBody = Buffer.from(`no ready replicas for ${key}\n`);
  }

  /** The next backend in turn, or undefined if none is ready. */
  pick(): Upstream | undefined {
    const ups = this.upstreams;
    if (ups.length === 0) return undefined;
    if (this.next >= ups.length) this.next = 0;
    return ups[this.next++];
  }

  /** The next backend other than `failed` if there is one (for a retry), else `failed` itself if still ready. */
  pickOther(failed: Upstream): Upstream | undefined {
    const ups = this.upstreams;
    for (let i = 0; i < ups.length; i++) {
      const u = this.pick();
      if (u !== failed) return u;
    }
    return ups.includes(failed) ? failed : undefined;
  }
}

function upstreamKey(b: Backend): string {
  return `${b.id}@${b.host}:${b.port}`;
}

function originOf(b: Backend): string {
  // IPv6 literals need brackets in an origin.
  return b.host.includes(':') ? `http://[${b.host}]:${b.port}` : `http://${b.host}:${b.port}`;
}

/** All BackendSets and upstream pools of the gateway. */
export class Balancer {
  private readonly sets = new Map<string, BackendSet>();
  private readonly upstreams = new Map<string, Upstream>();
  private readonly draining = new Map<Upstream, Promise<void>>();
  private readonly options: PoolOptions;

  constructor(options: Partial<PoolOptions> = {}) {
    this.options = { ...defaultPoolOptions, ...options };
  }

  /** The set of a service key, or undefined if the table has no such service. */
  set(key: string): BackendSet | undefined {
    return this.sets.get(key);
  }

  /**
   * Makes the sets match `services`: sets and pools are updated in place (pools of unchanged
   * backends are kept), removed backends stop receiving requests at once and drain in the
   * background. Returns a promise that settles when the removed backends have drained.
   */
  apply(services: readonly ServiceListener[]): Promise<void> {
    const wanted = new Map<string, Backend>();
    for (const s of services) for (const b of s.backends) wanted.set(upstreamKey(b), b);

    for (const [k, b] of wanted) {
      if (!this.upstreams.has(k)) {
        const pool = new Pool(originOf(b), {
          pipelining: 1,
          connections: this.options.connections,
          headersTimeout: this.options.headersTimeoutMs,
          bodyTimeout: this.options.bodyTimeoutMs,
          keepAliveTimeout: this.options.keepAliveTimeoutMs,
        });
        this.upstreams.set(k, { id: b.id, host: b.host, port: b.port, origin: originOf(b), pool });
      }
    }

    const keys = new Set<string>();
    for (const s of services) {
      keys.add(s.key);
      let set = this.sets.get(s.key);
      if (!set) {
        set = new BackendSet(s.key);
        this.sets.set(s.key, set);
      }
      // A new array, not a mutation: a request mid-retry keeps a consistent view of the old one.
      set.upstreams = s.backends.map((b) => this.upstreams.get(upstreamKey(b))!);
    }
    for (const [key, set] of this.sets) {
      if (!keys.has(key)) {
        set.upstreams = [];
        this.sets.delete(key);
      }
    }

    const drained: Promise<void>[] = [];
    for (const [k, u] of this.upstreams) {
      if (!wanted.has(k)) {
        this.upstreams.delete(k);
        drained.push(this.drain(u));
      }
    }
    return Promise.all(drained).then(() => undefined);
  }

  /** Ids of all upstreams currently in use. */
  upstreamIds(): Set<string> {
    return new Set([...this.upstreams.values()].map((u) => u.id));
  }

  /** Closes every pool, waiting (bounded by the caller) for in-flight requests to finish. */
  async close(): Promise<void> {
    for (const u of this.upstreams.values()) void this.drain(u);
    this.upstreams.clear();
    this.sets.clear();
    await Promise.all([...this.draining.values()]);
  }

  /** Closes every pool at once, failing whatever is still in flight. */
  async destroy(): Promise<void> {
    const all = [...this.upstreams.values(), ...this.draining.keys()];
    this.upstreams.clear();
    this.sets.clear();
    await Promise.all(all.map((u) => u.pool.destroy().catch(() => undefined)));
  }

  private drain(u: Upstream): Promise<void> {
    // Pool.close() waits for queued and in-flight requests, then closes the connections.
    const p = u.pool
      .close()
      .catch(() => undefined)
      .finally(() => this.draining.delete(u));
    this.draining.set(u, p);
    return p;
  }
}
