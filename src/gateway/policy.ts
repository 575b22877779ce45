/**
 * Traffic policies as the proxy enforces them. A service's policy applies to its address and to
 * every edge route to it; a route's policy overrides it field by field (its own rateLimit is its
 * own bucket, its own circuitBreaker its own breaker). The resolved policy of each path is built
 * once per table; buckets and breakers whose settings did not change carry over, so a table update
 * neither refills a bucket nor closes an open circuit, and the counters live as long as the service.
 */
import type { CircuitStatus, PolicyCounters } from '../model/observation.js';
import type { TrafficPolicy } from '../model/routing.js';
import { CircuitBreaker } from './circuitBreaker.js';
import type { EdgeRoute } from './table.js';
import { TokenBucket } from './tokenBucket.js';

/** A prepared degradation answer. */
export interface Fallback {
  status: number;
  headers: string[];
  body: Buffer;
}

/** The policy in force on one path of requests: a service's address, or one edge route. */
export interface ActivePolicy {
  /** What the answers name: `app/env/service`, or `route <host><prefix> of app/env`. */
  readonly label: string;
  /** The target service's counters (its routes count into them too). */
  readonly counters: PolicyCounters;
  readonly bucket: TokenBucket | undefined;
  readonly timeoutMs: number | undefined;
  readonly retries: TrafficPolicy['retries'];
  readonly breaker: CircuitBreaker | undefined;
  readonly fallback: Fallback | undefined;
  /** 429 body, built once. */
  readonly rateLimitedBody: Buffer;
  /** 503 body while the circuit is open and there is no fallback. */
  readonly circuitOpenBody: Buffer;
}

function prepareFallback(f: TrafficPolicy['fallback']): Fallback | undefined {
  if (f === undefined) return undefined;
  const body = Buffer.from(f.body);
  return { status: f.status, body, headers: ['content-type', f.contentType, 'content-length', String(body.length)] };
}

/** An owner's bucket or breaker, keyed by its settings so a changed setting starts afresh. */
function stateKey(owner: string, config: unknown): string {
  return `${owner}\n${JSON.stringify(config)}`;
}

/** Counters that have a value worth reporting. */
function anyCount(c: PolicyCounters): boolean {
  return c.rateLimited + c.retries + c.timeouts + c.shortCircuited > 0;
}

/** How open a circuit is, for picking the most open of several. */
export const severity: Record<CircuitStatus['state'], number> = { closed: 0, halfOpen: 1, open: 2 };

/**
 * The policy state of one service: its counters, and the buckets and breakers of the service and
 * of its routes. Lives as long as the service's BackendSet.
 */
export class ServicePolicies {
  readonly key: string;
  readonly counters: PolicyCounters = { rateLimited: 0, retries: 0, timeouts: 0, shortCircuited: 0 };
  /** The service's own policy, undefined when it has none. */
  service: ActivePolicy | undefined;
  private buckets = new Map<string, TokenBucket>();
  private breakers = new Map<string, CircuitBreaker>();
  private nextBuckets = new Map<string, TokenBucket>();
  private nextBreakers = new Map<string, CircuitBreaker>();
  /** Breakers of routes with their own, with the route's label (for the report). */
  private routeBreakers: [string, CircuitBreaker][] = [];
  private nextRouteBreakers: [string, CircuitBreaker][] = [];
  private routesWithPolicy = 0;
  private nextRoutesWithPolicy = 0;

  /**
   * The part of each rate limit this process enforces: 1, or 1/N in each of N gateway workers
   * (gatewayWorkers.ts), whose buckets together let the configured rate through.
   */
  private readonly share: number;

  constructor(key: string, share = 1) {
    this.key = key;
    this.share = share;
  }

  /** Starts a table update with the service's policy; routes follow with `route`, then `commit`. */
  begin(policy: TrafficPolicy | undefined): void {
    this.nextBuckets = new Map();
    this.nextBreakers = new Map();
    this.nextRouteBreakers = [];
    this.nextRoutesWithPolicy = 0;
    this.service = policy === undefined ? undefined : this.resolve(this.key, this.key, policy, undefined);
  }

  /** The policy of requests through `route` of edge `edgeKey` (the service's when the route has none). */
  route(edgeKey: string, route: EdgeRoute): ActivePolicy | undefined {
    if (route.policy === undefined) return this.service;
    this.nextRoutesWithPolicy++;
    const label = `route ${route.host ?? ''}${route.pathPrefix} of ${edgeKey}`;
    const active = this.resolve(
      `${edgeKey} ${route.host ?? '*'} ${route.pathPrefix}`,
      label,
      route.policy,
      this.service,
    );
    if (route.policy.circuitBreaker !== undefined) this.nextRouteBreakers.push([label, active.breaker!]);
    return active;
  }

  /** Ends a table update: buckets and breakers no path uses any more are dropped. */
  commit(): void {
    this.buckets = this.nextBuckets;
    this.breakers = this.nextBreakers;
    this.routeBreakers = this.nextRouteBreakers;
    this.routesWithPolicy = this.nextRoutesWithPolicy;
  }

  /**
   * The counters and circuit as `GET /stats` reports them; undefined for a service that has no
   * policy (nor any route with one) and never had one count anything.
   */
  report(nowMs: number): PolicyCounters | undefined {
    if (this.service === undefined && this.routesWithPolicy === 0 && !anyCount(this.counters)) return undefined;
    const out: PolicyCounters = { ...this.counters };
    const own = this.service?.breaker;
    if (own !== undefined) {
      out.circuit = own.status(nowMs);
    } else {
      // No breaker of its own: the most open of its routes' breakers, naming the route.
      for (const [label, breaker] of this.routeBreakers) {
        const s = breaker.status(nowMs);
        if (out.circuit === undefined || severity[s.state] > severity[out.circuit.state]) {
          out.circuit = s.reason === undefined ? s : { ...s, reason: `${label}: ${s.reason}`, route: label };
        }
      }
    }
    return out;
  }

  private resolve(owner: string, label: string, own: TrafficPolicy, base: ActivePolicy | undefined): ActivePolicy {
    let bucket = base?.bucket;
    if (own.rateLimit !== undefined) {
      const k = stateKey(owner, own.rateLimit);
      bucket =
        this.nextBuckets.get(k) ??
        this.buckets.get(k) ??
        new TokenBucket(
          own.rateLimit.requestsPerSecond * this.share,
          Math.max(1, Math.ceil(own.rateLimit.burst * this.share)),
          performance.now(),
        );
      this.nextBuckets.set(k, bucket);
    }
    let breaker = base?.breaker;
    if (own.circuitBreaker !== undefined) {
      const k = stateKey(owner, own.circuitBreaker);
      breaker = this.nextBreakers.get(k) ?? this.breakers.get(k) ?? new CircuitBreaker(own.circuitBreaker);
      this.nextBreakers.set(k, breaker);
    }
    const retries = own.retries ?? base?.retries;
    return {
      label,
      counters: this.counters,
      bucket,
      timeoutMs: own.timeoutMs ?? base?.timeoutMs,
      retries: retries === undefined ? undefined : { ...retries, onStatus: [...retries.onStatus] },
      breaker,
      fallback: own.fallback !== undefined ? prepareFallback(own.fallback) : base?.fallback,
      rateLimitedBody: Buffer.from(`rate limit of ${label} exceeded\n`),
      circuitOpenBody: Buffer.from(`circuit open for ${label}\n`),
    };
  }
}
