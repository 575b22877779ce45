/**
 * Traces as the gateway records them (issue 16, point 2): one span per hop a request takes through
 * the gateway, at an app's edge or at a service address. Part of the shared model: the gateway
 * records spans, the control plane stores them (src/traces/), the API and CLI show them.
 */
import type { Track } from './routing.js';

/** Where a hop entered the gateway: an app's edge (from outside), or a service's address (from a replica). */
export const SpanKind = { edge: 'edge', service: 'service' } as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** One hop through the gateway. */
export interface GatewaySpan {
  /** 32 lower-case hex digits: the incoming `traceparent`'s, or a new one. */
  traceId: string;
  /** 16 hex digits, new for this hop; the `traceparent` sent upstream names it as the parent. */
  spanId: string;
  /** The incoming `traceparent`'s parent id; absent when this hop started the trace. */
  parentId?: string;
  kind: SpanKind;
  /** The edge (`app/env`) of an edge hop. */
  edge?: string;
  /** The edge route (host and path prefix) of an edge hop. */
  route?: string;
  /** The callee: `app/env/service` whose replica served (or should have served) the hop. */
  service?: string;
  /** The track that served it; absent when no replica was tried. */
  track?: Track;
  method: string;
  /** The status sent to the client; 0 when the client went away before any answer. */
  status: number;
  /** A 5xx, a gateway failure or a response cut short. */
  error: boolean;
  /** When the gateway received the request, epoch milliseconds (fractional). */
  startMs: number;
  durationMs: number;
}

/** A stored span with what the control plane derives: the caller, when the parent is a gateway span. */
export interface StoredSpan extends GatewaySpan {
  /**
   * The calling service: the callee of the parent span when that span is a gateway hop of the same
   * trace (the replica that received it made this call and forwarded `traceparent` unchanged).
   * Absent at an edge, and when the parent is a span the gateway did not record (a service that
   * traces itself, or a caller outside Berth).
   */
  caller?: string;
}

/** `GET /api/v1/traces/:traceId`: a trace's gateway spans, ordered by start. */
export interface TraceView {
  traceId: string;
  spans: StoredSpan[];
}
