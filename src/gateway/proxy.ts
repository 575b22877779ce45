/**
 * The reverse proxy's hot path: one Exchange per request, driving an undici dispatch straight
 * into the ServerResponse. It uses undici's raw handler callbacks (onConnect/onHeaders/onData/
 * onComplete/onError), which undici calls natively; the newer controller API wraps them and parses
 * headers into an object on every response, a cost the proxy does not need.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { ListenerStats } from './listenerStats.js';
import type { BackendSet } from './balancer.js';
import type { Upstream } from './upstream.js';
import type { ForwardHeaders } from './headers.js';
import { forwardHeaders } from './headers.js';
import { retryableCodes, sendText } from './answers.js';
import { countBackend, dispatchOptions, recordOutcome, writeResponseHead } from './exchange.js';
import type { ActivePolicy } from './policy.js';
import { proxyWithPolicy } from './policyExchange.js';
import type { RouteCounters } from './routeCounters.js';
import type { TrackSet } from './trackSet.js';
import type { HopSpan } from './spans.js';

const kExchange = Symbol('berth.exchange');
type ProxiedResponse = ServerResponse & { [kExchange]?: Exchange };

export { sendText };

function onResponseClose(this: ProxiedResponse): void {
  const ex = this[kExchange];
  if (ex !== undefined) ex.clientClosed();
}

function onResponseDrain(this: ProxiedResponse): void {
  this[kExchange]?.resumeUpstream?.();
}

/**
 * One proxied request: streams the request up and the response down, retries once, and counts
 * itself in its track's counters when it ends.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly res: ProxiedResponse;
  private readonly set: BackendSet;
  private readonly stats: ListenerStats;
  private readonly opts: Dispatcher.DispatchOptions;
  /** The track whose backend serves the request (a retry may move it to the other track). */
  private track: TrackSet;
  /** The edge route the request came through; undefined through the service's address. */
  private readonly route: RouteCounters | undefined;
  private readonly startMs: number;
  /** The hop's span when tracing is on. */
  private readonly span: HopSpan | undefined;
  /** The status sent to the client; 0 until one is. */
  private status = 0;
  private failed = false;
  private upstream: Upstream | undefined;
  private abortUpstream: ((err?: Error) => void) | undefined;
  resumeUpstream: (() => void) | undefined;
  private connected = false;
  private responded = false;
  private retried = false;
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
    route: RouteCounters | undefined,
    span: HopSpan | undefined,
  ) {
    this.res = res;
    this.set = set;
    this.track = track;
    this.route = route;
    this.span = span;
    this.startMs = performance.now();
    this.stats = stats;
    this.opts = dispatchOptions(req, path, fwd);
    this.res[kExchange] = this;
    // `on`, not `once`: a response closes once anyway, and `once` allocates a wrapper per request.
    res.on('close', onResponseClose);
  }

  start(upstream: Upstream): void {
    this.upstream = upstream;
    countBackend(this.stats, upstream);
    upstream.pool.dispatch(this.opts, this);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.connected = true;
    this.abortUpstream = abort;
    if (this.done) abort();
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx: Node answers 100-continue to the client itself.
    if (this.done) return false;
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
      this.res.on('drain', onResponseDrain);
    }
    return false;
  }

  onComplete(): void {
    this.res.end();
    this.finish();
  }

  onError(err: Error): void {
    if (this.done) return;
    if (this.responded) {
      // Headers already went out: the only honest signal left is to cut the connection.
      this.failed = true;
      this.res.destroy();
      this.finish();
      return;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (
      !this.retried &&
      this.opts.idempotent === true &&
      (!this.connected || this.opts.body === null) &&
      code !== undefined &&
      retryableCodes.has(code)
    ) {
      const next = this.set.pickOther(this.track, this.upstream!);
      if (next !== undefined) {
        this.retried = true;
        this.connected = false;
        this.abortUpstream = undefined;
        this.track = next[0];
        this.start(next[1]);
        return;
      }
    }
    this.stats.errors++;
    this.failed = true;
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      this.status = 504;
      sendText(this.res, 504, `upstream ${this.upstream!.id} of ${this.set.key} timed out\n`);
    } else {
      this.status = 502;
      sendText(this.res, 502, `upstream ${this.upstream!.id} of ${this.set.key} failed: ${code ?? err.message}\n`);
    }
    this.finish();
  }

  /** The client went away (or the response finished): stop the upstream request if it still runs. */
  clientClosed(): void {
    if (this.done) return;
    this.finish();
    this.abortUpstream?.();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.stats.inFlight--;
    this.res[kExchange] = undefined;
    const nowMs = performance.now();
    recordOutcome(this.track, this.route, nowMs - this.startMs, this.failed);
    this.span?.end(this.track.track, this.status, this.failed, nowMs);
  }
}

const noOptions = {};

/**
 * Proxies one request to a ready backend of `set` (its track chosen by the set's split), sending
 * `path` upstream. No backend in either track: 503 naming the service. A traffic policy (the
 * route's given in `opts`, else the service's) hands the request to the policy's exchange. An edge
 * passes its route's counters in `opts.route`: the finished request counts there too. With
 * tracing on, `opts.span` is the hop's span (begun on `opts.fwd`), ended with the request.
 */
export function proxyRequest(
  req: IncomingMessage,
  res: ServerResponse,
  set: BackendSet | undefined,
  path: string,
  stats: ListenerStats,
  opts: {
    fwd?: ForwardHeaders;
    unavailable?: Buffer;
    policy?: ActivePolicy;
    route?: RouteCounters;
    span?: HopSpan;
  } = noOptions,
): void {
  stats.requests++;
  const policy = opts.policy ?? set?.policy;
  if (policy !== undefined) {
    proxyWithPolicy(req, res, set, path, stats, policy, opts.fwd, opts.unavailable, opts.route, opts.span);
    return;
  }
  const track = set?.route(req);
  if (track === undefined) {
    stats.errors++;
    if (set !== undefined) set.unavailable++;
    sendText(res, 503, set?.unavailableBody ?? opts.unavailable ?? 'no ready replicas\n');
    opts.span?.end(undefined, 503, true, performance.now());
    return;
  }
  stats.inFlight++;
  const fwd = opts.fwd ?? forwardHeaders(req.rawHeaders, req.socket.remoteAddress);
  // route() returns only a track with a ready backend, so pick() has one to give.
  new Exchange(req, res, set!, track, stats, path, fwd, opts.route, opts.span).start(track.pick()!);
}
