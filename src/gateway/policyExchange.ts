/**
 * The proxy's path for requests under a traffic policy: rate limit, circuit breaker, timeout,
 * retries and fallback around the same streaming exchange as the plain path (proxy.ts). Requests
 * without a policy never come here, so the plain path pays nothing for any of it.
 *
 * A retry may start while the previous upstream request is still alive (a timeout fires, or a
 * retryable status arrives), so each try has its own handler (an Attempt) and the exchange only
 * listens to the current one: callbacks of a superseded try are dropped, and it is aborted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { retryableCodes, sendText } from './answers.js';
import type { BackendSet } from './balancer.js';
import type { Upstream } from './upstream.js';
import { Outcome, rejected } from './circuitBreaker.js';
import type { ForwardHeaders } from './headers.js';
import { forwardHeaders } from './headers.js';
import { countBackend, dispatchOptions, recordOutcome, writeResponseHead } from './exchange.js';
import type { ActivePolicy, Fallback } from './policy.js';
import type { ListenerStats } from './listenerStats.js';
import type { RouteCounters } from './routeCounters.js';
import { retryAfterSeconds } from './tokenBucket.js';
import type { TrackSet } from './trackSet.js';
import type { HopSpan } from './spans.js';

/** Why a try failed before any of its answer went to the client. */
type FailureKind = 'connect' | 'timeout' | 'status' | 'other';

/** One try of a request on one upstream: forwards undici's callbacks while it is the current try. */
class Attempt implements Dispatcher.DispatchHandler {
  readonly ex: PolicyExchange;
  readonly upstream: Upstream;
  abort: ((err?: Error) => void) | undefined;
  connected = false;
  timer: NodeJS.Timeout | undefined;

  constructor(ex: PolicyExchange, upstream: Upstream) {
    this.ex = ex;
    this.upstream = upstream;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.connected = true;
    this.abort = abort;
    // Superseded while it waited in the pool's queue: it must not reach the backend now.
    if (this.ex.current !== this) abort();
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    return this.ex.current === this ? this.ex.onHeaders(this, statusCode, headers, resume, statusText) : false;
  }

  onData(chunk: Buffer): boolean {
    return this.ex.current === this ? this.ex.onData(chunk) : false;
  }

  onComplete(): void {
    if (this.ex.current === this) this.ex.onComplete();
  }

  onError(err: Error): void {
    if (this.ex.current === this) this.ex.onError(this, err);
  }
}

function onAttemptTimeout(a: Attempt): void {
  a.timer = undefined;
  a.ex.onTimeout(a);
}

function sendFallback(res: ServerResponse, stats: ListenerStats, f: Fallback, span: HopSpan | undefined): void {
  if (f.status >= 500) stats.errors++;
  res.writeHead(f.status, f.headers);
  res.end(f.body);
  span?.end(undefined, f.status, f.status >= 500, performance.now());
}

/** One proxied request under a policy: tries, retries and the breaker's bookkeeping. */
class PolicyExchange {
  current: Attempt | undefined;
  private readonly res: ServerResponse;
  private readonly set: BackendSet;
  private readonly stats: ListenerStats;
  private readonly policy: ActivePolicy;
  private readonly opts: Dispatcher.DispatchOptions;
  private readonly ticket: number;
  private readonly startMs: number;
  private track: TrackSet;
  /** The edge route the request came through; undefined through the service's address. */
  private readonly route: RouteCounters | undefined;
  /** The hop's span when tracing is on. */
  private readonly span: HopSpan | undefined;
  /** The status sent to the client; 0 until one is. */
  private status = 0;
  /** Tries left after this one: the policy's attempts, or today's single connection-level retry. */
  private retriesLeft: number;
  private backoff: NodeJS.Timeout | undefined;
  private resumeUpstream: (() => void) | undefined;
  private responded = false;
  private failed = false;
  private done = false;
  private drainHooked = false;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    set: BackendSet,
    track: TrackSet,
    stats: ListenerStats,
    path: string,
    fwd: ForwardHeaders,
    policy: ActivePolicy,
    ticket: number,
    route: RouteCounters | undefined,
    span: HopSpan | undefined,
  ) {
    this.res = res;
    this.set = set;
    this.track = track;
    this.route = route;
    this.span = span;
    this.stats = stats;
    this.policy = policy;
    this.ticket = ticket;
    this.startMs = performance.now();
    this.retriesLeft = policy.retries?.attempts ?? 1;
    this.opts = dispatchOptions(req, path, fwd);
    res.on('close', () => this.clientClosed());
  }

  start(upstream: Upstream): void {
    const a = new Attempt(this, upstream);
    this.current = a;
    countBackend(this.stats, upstream);
    // A timer of our own, not undici's headersTimeout: undici checks that one on a coarse (~1 s)
    // clock, and it starts only once the request is written, not while it waits for a connection.
    if (this.policy.timeoutMs !== undefined) a.timer = setTimeout(onAttemptTimeout, this.policy.timeoutMs, a);
    upstream.pool.dispatch(this.opts, a);
  }

  onTimeout(a: Attempt): void {
    if (this.current !== a || this.done) return;
    this.policy.counters.timeouts++;
    this.supersede(a);
    this.tryFailed(a, 'timeout', `timed out after ${this.policy.timeoutMs} ms`);
  }

  onHeaders(a: Attempt, statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx: Node answers 100-continue to the client itself.
    if (this.done) return false;
    clearAttemptTimer(a);
    const onStatus = this.policy.retries?.onStatus;
    if (onStatus !== undefined && onStatus.includes(statusCode) && this.mayRetry(a, 'status')) {
      const next = this.set.pickOther(this.track, a.upstream);
      if (next !== undefined) {
        // Aborting from inside onHeaders is allowed: undici sees the request aborted and stops parsing it.
        this.supersede(a);
        this.retry(next);
        return false;
      }
    }
    this.resumeUpstream = resume;
    this.status = statusCode;
    if (writeResponseHead(this.res, this.stats, statusCode, statusText, headers)) this.failed = true;
    this.responded = true;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    if (!this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', () => this.resumeUpstream?.());
    }
    return false;
  }

  onComplete(): void {
    this.current = undefined;
    this.res.end();
    this.finish();
  }

  onError(a: Attempt, err: Error): void {
    if (this.done) return;
    clearAttemptTimer(a);
    this.current = undefined;
    if (this.responded) {
      // Headers already went out: the only honest signal left is to cut the connection.
      this.failed = true;
      this.res.destroy();
      this.finish();
      return;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      this.policy.counters.timeouts++;
      this.tryFailed(a, 'timeout', 'timed out');
    } else {
      const kind = code !== undefined && retryableCodes.has(code) ? 'connect' : 'other';
      this.tryFailed(a, kind, `failed: ${code ?? err.message}`);
    }
  }

  /** The client went away (or the response finished): stop whatever still runs for it. */
  clientClosed(): void {
    if (this.done) return;
    const a = this.current;
    this.finish();
    if (a !== undefined) this.supersede(a);
  }

  private mayRetry(a: Attempt, kind: FailureKind): boolean {
    if (this.retriesLeft <= 0 || this.opts.idempotent !== true) return false;
    // A body already (partly) streamed upstream cannot be sent again; one never sent still can.
    if (this.opts.body !== null && a.connected) return false;
    return this.policy.retries !== undefined ? kind !== 'other' : kind === 'connect';
  }

  /** A try failed before answering: another try if allowed, else the gateway's own answer. */
  private tryFailed(a: Attempt, kind: FailureKind, what: string): void {
    if (this.mayRetry(a, kind)) {
      const next = this.set.pickOther(this.track, a.upstream);
      if (next !== undefined) {
        this.retry(next);
        return;
      }
    }
    this.answerFailure(kind === 'timeout' ? 504 : 502, `upstream ${a.upstream.id} of ${this.set.key} ${what}\n`);
  }

  private answerFailure(status: number, body: string): void {
    this.stats.errors++;
    this.failed = true;
    this.status = status;
    sendText(this.res, status, body);
    this.finish();
  }

  private retry(next: [TrackSet, Upstream]): void {
    this.retriesLeft--;
    this.policy.counters.retries++;
    this.track = next[0];
    const backoffMs = this.policy.retries?.backoffMs ?? 0;
    if (backoffMs <= 0) {
      this.start(next[1]);
      return;
    }
    this.backoff = setTimeout(() => {
      this.backoff = undefined;
      if (this.done) return;
      // The table may have changed while waiting: the chosen backend must still be ready.
      let [track, upstream] = next;
      if (!track.upstreams.includes(upstream)) {
        const again = this.set.pickOther(track, upstream);
        if (again === undefined) {
          this.answerFailure(503, `no ready replicas for ${this.set.key}\n`);
          return;
        }
        [track, upstream] = again;
      }
      this.track = track;
      this.start(upstream);
    }, backoffMs);
  }

  /** Stops listening to `a` and aborts its upstream request (now, or as soon as it is written). */
  private supersede(a: Attempt): void {
    clearAttemptTimer(a);
    if (this.current === a) this.current = undefined;
    a.abort?.();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.stats.inFlight--;
    if (this.backoff !== undefined) clearTimeout(this.backoff);
    const nowMs = performance.now();
    recordOutcome(this.track, this.route, nowMs - this.startMs, this.failed);
    this.span?.end(this.track.track, this.status, this.failed, nowMs);
    const breaker = this.policy.breaker;
    if (breaker !== undefined) {
      const outcome = this.failed ? Outcome.failure : this.responded ? Outcome.success : Outcome.cancelled;
      breaker.record(this.ticket, outcome, nowMs);
    }
  }
}

function clearAttemptTimer(a: Attempt): void {
  if (a.timer !== undefined) {
    clearTimeout(a.timer);
    a.timer = undefined;
  }
}

/**
 * Proxies one request under `policy`: 429 over the rate limit, the fallback (or 503) when no
 * backend is ready or the circuit is open, else an exchange with the policy's timeout and retries.
 * The caller has counted the request in `stats.requests`; `route` is the edge route's counters.
 */
export function proxyWithPolicy(
  req: IncomingMessage,
  res: ServerResponse,
  set: BackendSet | undefined,
  path: string,
  stats: ListenerStats,
  policy: ActivePolicy,
  fwd: ForwardHeaders | undefined,
  unavailable: Buffer | undefined,
  route: RouteCounters | undefined,
  span: HopSpan | undefined,
): void {
  const nowMs = performance.now();
  if (policy.bucket !== undefined) {
    const waitMs = policy.bucket.take(nowMs);
    if (waitMs > 0) {
      policy.counters.rateLimited++;
      const body = policy.rateLimitedBody;
      res.writeHead(429, [
        'content-type',
        'text/plain; charset=utf-8',
        'retry-after',
        String(retryAfterSeconds(waitMs)),
        'content-length',
        String(body.length),
      ]);
      res.end(body);
      span?.end(undefined, 429, false, performance.now());
      return;
    }
  }
  const track = set?.route(req);
  if (track === undefined) {
    if (set !== undefined) set.unavailable++;
    if (policy.fallback !== undefined) return sendFallback(res, stats, policy.fallback, span);
    stats.errors++;
    sendText(res, 503, set?.unavailableBody ?? unavailable ?? 'no ready replicas\n');
    span?.end(undefined, 503, true, performance.now());
    return;
  }
  let ticket = 0;
  if (policy.breaker !== undefined) {
    ticket = policy.breaker.allow(nowMs);
    if (ticket === rejected) {
      policy.counters.shortCircuited++;
      if (policy.fallback !== undefined) return sendFallback(res, stats, policy.fallback, span);
      stats.errors++;
      sendText(res, 503, policy.circuitOpenBody);
      span?.end(undefined, 503, true, performance.now());
      return;
    }
  }
  stats.inFlight++;
  const f = fwd ?? forwardHeaders(req.rawHeaders, req.socket.remoteAddress);
  new PolicyExchange(req, res, set!, track, stats, path, f, policy, ticket, route, span).start(track.pick()!);
}
