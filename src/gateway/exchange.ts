/**
 * What both exchanges of the hot path share, the plain one (proxy.ts) and the one under a traffic
 * policy (policyExchange.ts): a request's dispatch options, counting the chosen backend, writing
 * the upstream's response head, and recording how the request ended. Small functions V8 inlines,
 * so the plain path pays nothing for the policy path having its own class.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { idempotentMethods } from './answers.js';
import type { Upstream } from './upstream.js';
import type { ForwardHeaders } from './headers.js';
import { responseHeaders } from './headers.js';
import type { ListenerStats } from './listenerStats.js';
import type { RouteCounters } from './routeCounters.js';
import type { TrackSet } from './trackSet.js';

/** The undici dispatch of `req`, sent upstream as `path` with the forwarding headers. */
export function dispatchOptions(req: IncomingMessage, path: string, fwd: ForwardHeaders): Dispatcher.DispatchOptions {
  return {
    method: req.method as Dispatcher.HttpMethod,
    path,
    headers: fwd.headers,
    body: fwd.hasBody ? req : null,
    // Undici may then retry a request at the head of a failed pipeline on its own.
    idempotent: idempotentMethods.has(req.method!),
  };
}

/** Counts a request sent to `upstream` in its listener's per-backend counters. */
export function countBackend(stats: ListenerStats, upstream: Upstream): void {
  stats.backends.set(upstream.id, (stats.backends.get(upstream.id) ?? 0) + 1);
}

/**
 * Writes the upstream's status and headers to the client; true when the status is a 5xx (counted
 * as the listener's error). Throws on a header Node refuses to send; undici then reports it
 * through onError (→ 502).
 */
export function writeResponseHead(
  res: ServerResponse,
  stats: ListenerStats,
  statusCode: number,
  statusText: string,
  headers: Buffer[],
): boolean {
  res.writeHead(statusCode, statusText || undefined, responseHeaders(headers));
  if (statusCode < 500) return false;
  stats.errors++;
  return true;
}

/** Records a finished request in its track's counters, and in its edge route's when it came through one. */
export function recordOutcome(track: TrackSet, route: RouteCounters | undefined, ms: number, failed: boolean): void {
  track.record(ms, failed);
  if (route !== undefined) route.record(track.track, ms, failed);
}
