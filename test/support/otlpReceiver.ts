/**
 * An OTLP/HTTP trace receiver for tests: a real HTTP server on 127.0.0.1 that keeps every request
 * and decodes its body with the official proto definitions (test/fixtures/otlp/, loaded by
 * protobufjs) or as OTLP/JSON. Spans come back flattened: ids in hex, attributes as plain values,
 * each with its resource's attributes.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTOS = fileURLToPath(new URL('../fixtures/otlp/', import.meta.url));

let requestType: protobuf.Type | undefined;
function exportRequestType(): protobuf.Type {
  if (requestType) return requestType;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : PROTOS + target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  requestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  return requestType;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** The proto's SpanKind number (2 = SPAN_KIND_SERVER). */
  kind: number;
  /** The proto's status code (0 unset, 2 error). */
  statusCode: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, string | number | boolean>;
  resource: Record<string, string | number | boolean>;
  scope: string;
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}

/** What the receiver answers a request: a status, and a body (default: an empty success). */
export type Answer = (n: number) => { status: number; body?: Uint8Array | string; headers?: Record<string, string> };

export interface OtlpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** The spans of every request answered 2xx, in arrival order. */
  spans(): ReceivedSpan[];
  answer: Answer;
  close(): Promise<void>;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}

function plain(kvs: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out = new Map<string, string | number | boolean>();
  for (const kv of kvs ?? []) {
    const v = kv.value ?? {};
    const value =
      v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue;
    if (value !== undefined) out.set(kv.key, value);
  }
  return Object.fromEntries(out);
}

const KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

/** The spans of one ExportTraceServiceRequest body; `json` for OTLP/JSON, else protobuf. */
export function decodeExportRequest(body: Buffer, json: boolean): ReceivedSpan[] {
  type Span = {
    traceId: string;
    spanId: string;
    parentSpanId?: string;
    name: string;
    kind?: number | string;
    status?: { code?: number | string };
    startTimeUnixNano: string;
    endTimeUnixNano: string;
    attributes?: KeyValue[];
  };
  type Request = {
    resourceSpans?: {
      resource?: { attributes?: KeyValue[] };
      scopeSpans?: { scope?: { name?: string }; spans?: Span[] }[];
    }[];
  };
  let req: Request;
  if (json) req = JSON.parse(body.toString('utf8')) as Request;
  else {
    const t = exportRequestType();
    // Ids (bytes) as hex, 64-bit numbers as decimal strings, enums as numbers.
    req = t.toObject(t.decode(body), { longs: String, enums: Number, bytes: Array, defaults: false }) as Request;
    const hex = (b: unknown): string => (Array.isArray(b) ? Buffer.from(b as number[]).toString('hex') : '');
    for (const rs of req.resourceSpans ?? [])
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? []) {
          s.traceId = hex(s.traceId);
          s.spanId = hex(s.spanId);
          s.parentSpanId = hex(s.parentSpanId);
        }
  }
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? [])
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: typeof s.kind === 'string' ? (KINDS[s.kind] ?? -1) : (s.kind ?? 0),
          statusCode: Number(s.status?.code ?? 0),
          startTimeUnixNano: BigInt(s.startTimeUnixNano),
          endTimeUnixNano: BigInt(s.endTimeUnixNano),
          attributes: plain(s.attributes),
          resource: plain(rs.resource?.attributes),
          scope: ss.scope?.name ?? '',
        });
  return out;
}

/** Starts a receiver on a free port of 127.0.0.1. */
export async function startOtlpReceiver(answer: Answer = () => ({ status: 200 })): Promise<OtlpReceiver> {
  const requests: ReceivedRequest[] = [];
  const r: OtlpReceiver = {
    url: '',
    requests,
    answer,
    spans: () =>
      requests
        .filter((q) => q.status >= 200 && q.status < 300)
        .flatMap((q) => decodeExportRequest(q.body, q.headers['content-type'] === 'application/json')),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const a = r.answer(requests.length);
      requests.push({ headers: req.headers, body: Buffer.concat(chunks), status: a.status });
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  return r;
}
