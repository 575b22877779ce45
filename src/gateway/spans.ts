/**
 * Tracing at the proxy: every proxied hop continues the incoming W3C trace (or starts one), gets a
 * new span id that the `traceparent` sent upstream names as parent, passes the trace id to the
 * service as `x-berth-trace-id`, and when it ends is queued as a span. The queue is bounded: when
 * the control plane does not collect (`GET /spans` on the control API) the newest spans are dropped
 * and counted, so tracing never grows the gateway's memory nor blocks a request.
 */
import type { GatewaySpan, SpanKind } from '../model/trace.js';
import type { Track } from '../model/routing.js';
import type { ForwardHeaders } from './headers.js';
import {
  SAMPLED,
  flagsOf,
  formatTraceParent,
  isValidTraceParent,
  newTraceId,
  newSpanId,
  parentIdOf,
  traceIdOf,
} from './traceContext.js';

export type { GatewaySpan };

/** The header that carries the trace id to a service, for its logs. */
export const TRACE_ID_HEADER = 'x-berth-trace-id';

/** One hop in flight; when ended it is the queued span itself (one object per request). */
export class HopSpan implements GatewaySpan {
  traceId: string;
  spanId: string;
  parentId: string | undefined;
  kind: SpanKind;
  edge: string | undefined;
  route: string | undefined;
  service: string | undefined;
  track: Track | undefined = undefined;
  method: string;
  path: string | undefined;
  status = 0;
  error = false;
  startMs: number;
  durationMs = 0;
  private queue: SpanQueue | undefined;

  constructor(
    queue: SpanQueue,
    traceId: string,
    parentId: string | undefined,
    kind: SpanKind,
    method: string,
    service: string | undefined,
    edge: string | undefined,
    route: string | undefined,
    path: string | undefined,
  ) {
    this.queue = queue;
    this.path = path;
    this.traceId = traceId;
    this.spanId = newSpanId();
    this.parentId = parentId;
    this.kind = kind;
    this.method = method;
    this.service = service;
    this.edge = edge;
    this.route = route;
    this.startMs = performance.now();
  }

  /** Ends the hop (once; later calls are ignored) and queues it. `nowMs` is performance.now(). */
  end(track: Track | undefined, status: number, error: boolean, nowMs: number): void {
    const queue = this.queue;
    if (queue === undefined) return;
    this.queue = undefined;
    this.track = track;
    this.status = status;
    this.error = error;
    this.durationMs = nowMs - this.startMs;
    this.startMs += performance.timeOrigin;
    queue.push(this);
  }
}

/** A request target without its query (a new string only when there is one). */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Removes every `tracestate` of flat [name, value, ...] headers (rare: only with a new trace). */
function dropTracestate(headers: string[]): void {
  for (let i = headers.length - 2; i >= 0; i -= 2)
    if (headers[i]!.length === 10 && headers[i]!.toLowerCase() === 'tracestate') headers.splice(i, 2);
}

function spanJSON(s: GatewaySpan): string {
  let out = `{"traceId":"${s.traceId}","spanId":"${s.spanId}"`;
  if (s.parentId !== undefined) out += `,"parentId":"${s.parentId}"`;
  out += `,"kind":"${s.kind}"`;
  if (s.edge !== undefined) out += `,"edge":${JSON.stringify(s.edge)}`;
  if (s.route !== undefined) out += `,"route":${JSON.stringify(s.route)}`;
  if (s.service !== undefined) out += `,"service":${JSON.stringify(s.service)}`;
  if (s.track !== undefined) out += `,"track":"${s.track}"`;
  if (s.path !== undefined) out += `,"path":${JSON.stringify(s.path)}`;
  return `${out},"method":"${s.method}","status":${s.status},"error":${s.error},"startMs":${s.startMs},"durationMs":${s.durationMs}}`;
}

/** Spans a queue holds before it drops new ones, when the gateway is not told otherwise. */
export const DEFAULT_SPAN_CAPACITY = 20_000;

/** A span queue's counters, as `GET /stats` reports them (summed over the workers when several serve). */
export interface SpanCounts {
  queued: number;
  recorded: number;
  dropped: number;
}

/** The `GET /spans` JSON of a batch: `items` are the spans as comma-separated JSON objects. */
export function spanBatchJSON(items: string, dropped: number, queued: number): string {
  return `{"spans":[${items}],"dropped":${dropped},"queued":${queued}}`;
}

/** What `drain` hands the control plane. */
export interface SpanBatch {
  spans: GatewaySpan[];
  /** Spans dropped since the gateway started because the queue was full. */
  dropped: number;
  /** Spans still queued after this batch. */
  queued: number;
}

/** A drained batch as JSON text parts: see `SpanQueue.drainParts`. */
export interface SpanParts {
  items: string;
  count: number;
  dropped: number;
  queued: number;
}

/** The gateway's bounded queue of ended spans. */
export class SpanQueue {
  readonly capacity: number;
  /** Spans dropped (queue full) since the gateway started. */
  dropped = 0;
  /** Spans queued since the gateway started. */
  recorded = 0;
  private items: GatewaySpan[] = [];
  /** Told once at the next span queued (a held `GET /spans`). */
  private readonly waiting = new Set<() => void>();

  constructor(capacity = DEFAULT_SPAN_CAPACITY) {
    this.capacity = capacity;
  }

  /**
   * Starts a hop: continues the trace of `fwd.traceparent` when it is valid, else starts a new one,
   * and sets `traceparent` (in place of the incoming one) and `x-berth-trace-id` upstream.
   */
  begin(
    fwd: ForwardHeaders,
    kind: SpanKind,
    method: string,
    service: string | undefined,
    edge?: string,
    route?: string,
    url?: string,
  ): HopSpan {
    // Read in place (no parsed object per request). The flags are passed on as received; a new
    // trace is sampled (the gateway records every hop).
    const tp = fwd.traceparent;
    const valid = isValidTraceParent(tp);
    const span = new HopSpan(
      this,
      valid ? traceIdOf(tp) : newTraceId(),
      valid ? parentIdOf(tp) : undefined,
      kind,
      method,
      service,
      edge,
      route,
      url === undefined ? undefined : pathOf(url),
    );
    const value = formatTraceParent(span.traceId, span.spanId, valid ? flagsOf(tp) : SAMPLED);
    if (fwd.traceparentAt >= 0) fwd.headers[fwd.traceparentAt] = value;
    else fwd.headers.push('traceparent', value);
    fwd.headers.push(TRACE_ID_HEADER, span.traceId);
    // W3C processing model: a tracestate without a valid traceparent is invalid and discarded.
    if (!valid && fwd.tracestate) dropTracestate(fwd.headers);
    return span;
  }

  /** Queues an ended span: a Node hop's, or one HAProxy logged (haproxy/haproxySpans.ts). */
  push(span: GatewaySpan): void {
    if (this.items.length >= this.capacity) {
      this.dropped++;
      return;
    }
    this.recorded++;
    this.items.push(span);
    if (this.waiting.size !== 0) {
      const woken = [...this.waiting];
      this.waiting.clear();
      for (const wake of woken) wake();
    }
  }

  /** Calls `wake` once at the next span queued; undefined (and no call) when spans wait already, else its cancel. */
  onQueued(wake: () => void): (() => void) | undefined {
    if (this.items.length !== 0) return undefined;
    this.waiting.add(wake);
    return () => void this.waiting.delete(wake);
  }

  /** Takes up to `max` spans, oldest first. */
  drain(max: number): SpanBatch {
    let taken: GatewaySpan[];
    if (this.items.length <= max) {
      taken = this.items;
      this.items = [];
    } else taken = this.items.splice(0, max);
    return { spans: taken, dropped: this.dropped, queued: this.items.length };
  }

  /**
   * `drain` as the JSON `GET /spans` sends, written by hand: the ids, kind, track and method need no
   * escaping (hex, fixed words, an HTTP token), so only the edge, route and service go through
   * JSON.stringify; several times cheaper than stringifying the span objects.
   */
  drainJSON(max: number): string {
    const { items, dropped, queued } = this.drainParts(max);
    return spanBatchJSON(items, dropped, queued);
  }

  /** Its counters. */
  counts(): SpanCounts {
    return { queued: this.items.length, recorded: this.recorded, dropped: this.dropped };
  }

  /**
   * `drainJSON` in parts: the spans as comma-separated JSON objects (`items`, '' for none), so a
   * gateway with several workers joins their batches as text (gatewayWorkers.ts).
   */
  drainParts(max: number): SpanParts {
    const { spans, dropped, queued } = this.drain(max);
    let items = '';
    for (let i = 0; i < spans.length; i++) items += (i === 0 ? '' : ',') + spanJSON(spans[i]!);
    return { items, count: spans.length, dropped, queued };
  }

  /**
   * `drainParts` without holding the event loop: the spans are taken at once, then written in slices
   * of `slice` with a turn of the event loop between them, so requests keep flowing while a large
   * batch is serialised (8,700 spans took 15-30 ms in one go: a stall once a second that was the
   * half-load p99 of the Node data plane).
   */
  async drainPartsYielding(max: number, slice = 256): Promise<SpanParts> {
    const { spans, dropped, queued } = this.drain(max);
    const parts: string[] = [];
    for (let i = 0; i < spans.length; i += slice) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const end = Math.min(spans.length, i + slice);
      let part = spanJSON(spans[i]!);
      for (let j = i + 1; j < end; j++) part += `,${spanJSON(spans[j]!)}`;
      parts.push(part);
    }
    return { items: parts.join(','), count: spans.length, dropped, queued };
  }

  /** `drainJSON`, serialised as `drainPartsYielding` does. */
  async drainJSONYielding(max: number): Promise<string> {
    const { items, dropped, queued } = await this.drainPartsYielding(max);
    return spanBatchJSON(items, dropped, queued);
  }

  get queued(): number {
    return this.items.length;
  }
}
