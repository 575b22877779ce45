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
  /** The request's path as the client sent it to this hop, without the query (absent in spans stored before it was recorded). */
  path?: string;
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

/** What a list of traces asks for (`GET /api/v1/apps/:app/envs/:env/traces`). */
export interface TraceListQuery {
  app: string;
  env: string;
  /** Only traces with a span of this service of the app (its name, not the full key). */
  service?: string;
  /** Only traces with a failed span (a 5xx, a gateway failure, a response cut short). */
  errors?: boolean;
  /** Only traces that took at least this long. */
  minMs?: number;
  /** Only traces with a span of the app that started at or after this time (epoch ms). */
  sinceMs: number;
  limit: number;
}

/** One trace in a list: its first span, what it touched, how long it took, whether it failed. */
export interface TraceSummary {
  traceId: string;
  /** The first span's start, epoch ms. */
  startMs: number;
  /** From the first span's start to the last span's end. */
  durationMs: number;
  spans: number;
  /** Services the trace reached (`app/env/service`), in the order it first reached them. */
  services: string[];
  /** Whether any span failed. */
  error: boolean;
  /** The earliest span: where the request entered (an edge, or a service address a replica called). */
  root: Pick<GatewaySpan, 'kind' | 'edge' | 'route' | 'service' | 'method' | 'status' | 'error'>;
}

/** `GET /api/v1/apps/:app/envs/:env/traces`: the newest traces first. */
export interface TraceList {
  traces: TraceSummary[];
  /** More traces matched than `limit` (or than one look examines): narrow the query to see older ones. */
  truncated: boolean;
}
