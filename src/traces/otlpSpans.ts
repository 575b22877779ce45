/**
 * Gateway spans as OpenTelemetry spans, encoded by OpenTelemetry's own serializers
 * (@opentelemetry/otlp-transformer: the ExportTraceServiceRequest as protobuf or as OTLP/JSON).
 *
 * Each hop is a SERVER span of the service that was called: its resource names that service
 * (`service.name`, with the app as `service.namespace` and the environment as
 * `deployment.environment.name`), its attributes follow the HTTP semantic conventions
 * (`http.request.method`, `http.response.status_code`, `http.route`) and Berth's own are under
 * `berth.*` (the hop's kind, edge, route, track and the service's full key).
 */
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { GatewaySpan } from '../model/trace.js';
import { version } from '../version.js';
import { OtlpProtocol } from './otlpConfig.js';

/** OpenTelemetry's span as its serializers take it. */
type ReadableSpan = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0][number];
type Resource = ReadableSpan['resource'];
type Attributes = ReadableSpan['attributes'];

/** @opentelemetry/api's SpanKind.SERVER and SpanStatusCode (the serializer maps them to the proto's). */
const SERVER = 1 as ReadableSpan['kind'];
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;
/** W3C trace flags: sampled. The gateway records every request, so every exported span is sampled. */
const SAMPLED = 1;

/** The service name of spans no service answered (an edge request that matched no route). */
export const GATEWAY_SERVICE_NAME = 'berth-gateway';

const scope = { name: 'berth-gateway', version };

function hrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** One resource per service, reused: the serializer groups spans by resource identity. */
export class OtlpResources {
  private readonly byKey = new Map<string, Resource>();

  of(span: GatewaySpan): Resource {
    const key = span.service ?? span.edge ?? '';
    let r = this.byKey.get(key);
    if (r === undefined) {
      const [app, env, service] = key.split('/');
      const attrs: Attributes = { 'service.name': service ?? GATEWAY_SERVICE_NAME };
      if (app) attrs['service.namespace'] = app;
      if (env) attrs['deployment.environment.name'] = env;
      r = resourceFromAttributes(attrs) as Resource;
      // Bounded: services come and go slowly; a map of every one ever seen is cleared past a size.
      if (this.byKey.size >= 10_000) this.byKey.clear();
      this.byKey.set(key, r);
    }
    return r;
  }
}

/** The path of an edge route (`host/path` or `/path`). */
function routePath(route: string): string {
  const slash = route.indexOf('/');
  return slash < 0 ? '/' : route.slice(slash);
}

/** A gateway span as OpenTelemetry's ReadableSpan. */
export function toReadableSpan(s: GatewaySpan, resources: OtlpResources): ReadableSpan {
  const attributes: Attributes = { 'http.request.method': s.method, 'berth.span.kind': s.kind };
  if (s.status > 0) attributes['http.response.status_code'] = s.status;
  if (s.path !== undefined) attributes['url.path'] = s.path;
  if (s.route !== undefined) {
    attributes['http.route'] = routePath(s.route);
    attributes['berth.route'] = s.route;
  }
  if (s.edge !== undefined) attributes['berth.edge'] = s.edge;
  if (s.service !== undefined) attributes['berth.service'] = s.service;
  if (s.track !== undefined) attributes['berth.track'] = s.track;
  if (s.error && s.status >= 500) attributes['error.type'] = String(s.status);
  else if (s.error) attributes['error.type'] = s.status === 0 ? 'client_gone' : 'incomplete_response';
  const start = hrTime(s.startMs);
  const context = { traceId: s.traceId, spanId: s.spanId, traceFlags: SAMPLED };
  return {
    // The HTTP conventions' server span name: "{method} {http.route}", or the method alone.
    name: s.route !== undefined ? `${s.method} ${routePath(s.route)}` : s.method,
    kind: SERVER,
    spanContext: () => context,
    ...(s.parentId !== undefined
      ? { parentSpanContext: { traceId: s.traceId, spanId: s.parentId, traceFlags: SAMPLED, isRemote: true } }
      : {}),
    startTime: start,
    endTime: hrTime(s.startMs + s.durationMs),
    duration: hrTime(s.durationMs),
    status: { code: s.error ? STATUS_ERROR : STATUS_UNSET },
    attributes,
    links: [],
    events: [],
    ended: true,
    resource: resources.of(s),
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** An ExportTraceServiceRequest of `spans` in `protocol`, with its content type. */
export function encodeOtlp(
  spans: readonly GatewaySpan[],
  protocol: OtlpProtocol,
  resources: OtlpResources,
): { body: Uint8Array; contentType: string } {
  const otel = spans.map((s) => toReadableSpan(s, resources));
  if (protocol === OtlpProtocol.json) {
    const body = JsonTraceSerializer.serializeRequest(otel);
    if (body === undefined) throw new Error('the OTLP/JSON serializer produced nothing');
    return { body, contentType: 'application/json' };
  }
  const body = ProtobufTraceSerializer.serializeRequest(otel);
  if (body === undefined) throw new Error('the OTLP protobuf serializer produced nothing');
  return { body, contentType: 'application/x-protobuf' };
}

/** How many spans a collector's answer says it rejected (OTLP partial success), 0 when it took all. */
export function rejectedSpans(protocol: OtlpProtocol, body: Uint8Array): number {
  if (body.length === 0) return 0;
  try {
    const answer =
      protocol === OtlpProtocol.json
        ? JsonTraceSerializer.deserializeResponse(body)
        : ProtobufTraceSerializer.deserializeResponse(body);
    return Number(answer.partialSuccess?.rejectedSpans ?? 0);
  } catch {
    return 0;
  }
}
