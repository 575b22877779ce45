/**
 * Backends and their connection pools. Every service key has one BackendSet (shared by its
 * service listener and any edge route that targets it) that splits requests between the
 * service's tracks and round-robins over each track's ready backends. Pools are keyed by backend id and address, so a backend unchanged across table
 * updates keeps its warm connections; a backend that leaves is drained: no new request is sent
 * to it, in-flight ones finish, then its pool closes.
 */
import type { IncomingMessage } from 'node:http';
import { Pool } from 'undici';
import type { Upstream } from './upstream.js';
import type { TrafficSplit } from '../model/routing.js';
import type { ActivePolicy } from './policy.js';
import { ServicePolicies } from './policy.js';
import { ServiceRoutes } from './routeCounters.js';
import type { Backend, ServiceListener, ServiceTraffic } from './table.js';
import { TrackSet } from './trackSet.js';
import { effectiveSplit, wantsCanary } from './trafficSplit.js';

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

/**
 * The ready backends of one service, per track, and the split between the tracks. A request is
 * routed to a track, then round robin within it; a track without ready backends hands its
 * requests to the other one, so the set answers 503 only when no backend at all is ready.
 */
export class BackendSet {
  /** `app/env/service`. */
  readonly key: string;
  /** 503 body when the set is empty; precomputed so the hot path does not build it. */
  readonly unavailableBody: Buffer;
  readonly stable = new TrackSet('stable');
  readonly canary = new TrackSet('canary');
  /** The split in force; undefined when every request goes to stable (the common, cheap case). */
  split: TrafficSplit | undefined;
  /** Requests answered 503 for want of any ready backend. */
  unavailable = 0;
  /** The service's traffic policy in force; undefined (the common, cheap case) when it has none. */
  policy: ActivePolicy | undefined;
  /** Policy counters, buckets and breakers of the service and of the edge routes to it. */
  readonly policies: ServicePolicies;
  /** Counters of the edge routes to the service. */
  readonly routes = new ServiceRoutes();

  constructor(key: string, policyShare = 1) {
    this.key = key;
    this.unavailableBody = Buffer.from(`no ready replicas for ${key}\n`);
    this.policies = new ServicePolicies(key, policyShare);
  }

  /** The track `req` goes to, or undefined if neither track has a ready backend. */
  route(req: IncomingMessage): TrackSet | undefined {
    let first = this.stable;
    let second = this.canary;
    if (this.split !== undefined && wantsCanary(this.split, req)) {
      first = this.canary;
      second = this.stable;
    }
    if (first.upstreams.length > 0) return first;
    return second.upstreams.length > 0 ? second : undefined;
  }

  /**
   * Where to retry a request of `track` that failed on `failed`: another backend of the same
   * track, else one of the other track, else `failed` itself if it is still ready.
   */
  pickOther(track: TrackSet, failed: Upstream): [TrackSet, Upstream] | undefined {
    const same = track.pickOther(failed);
    if (same !== undefined) return [track, same];
    const other = track === this.stable ? this.canary : this.stable;
    const next = other.pick();
    if (next !== undefined) return [other, next];
    return track.upstreams.includes(failed) ? [track, failed] : undefined;
  }

  /** Cumulative counters of both tracks. */
  traffic(): ServiceTraffic {
    const out: ServiceTraffic = {
      key: this.key,
      tracks: [this.stable.toJSON(), this.canary.toJSON()],
      unavailable: this.unavailable,
    };
    const policy = this.policies.report(performance.now());
    if (policy !== undefined) out.policy = policy;
    const routes = this.routes.report();
    if (routes !== undefined) out.routes = routes;
    return out;
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
  /** The part of each rate limit this process enforces (ServicePolicies). */
  private readonly policyShare: number;

  constructor(options: Partial<PoolOptions> = {}, policyShare = 1) {
    this.options = { ...defaultPoolOptions, ...options };
    this.policyShare = policyShare;
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
        set = new BackendSet(s.key, this.policyShare);
        this.sets.set(s.key, set);
      }
      // New arrays, not mutations: a request mid-retry keeps a consistent view of the old ones.
      const stable: Upstream[] = [];
      const canary: Upstream[] = [];
      for (const b of s.backends) (b.track === 'canary' ? canary : stable).push(this.upstreams.get(upstreamKey(b))!);
      set.stable.upstreams = stable;
      set.canary.upstreams = canary;
      set.split = effectiveSplit(s.split);
      // Edge routes to the service add their policies and counters before `commitRoutes`.
      set.policies.begin(s.policy);
      set.policy = set.policies.service;
      set.routes.begin();
    }
    for (const [key, set] of this.sets) {
      if (!keys.has(key)) {
        set.stable.upstreams = [];
        set.canary.upstreams = [];
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

  /** Ends the update `apply` began, once every edge route has resolved its policy and counters. */
  commitRoutes(): void {
    for (const set of this.sets.values()) {
      set.policies.commit();
      set.routes.commit();
    }
  }

  /** Cumulative per-track counters of every service. */
  traffic(): ServiceTraffic[] {
    return [...this.sets.values()].map((s) => s.traffic());
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
