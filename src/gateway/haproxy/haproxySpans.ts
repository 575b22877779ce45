/**
 * The spans of the requests HAProxy serves alone: its log lines (traceRules.ts) arrive over TCP on
 * 127.0.0.1 (from each worker's ring buffer, a line each), are counted (latency and edge routes, haproxyLogCounters.ts) and read back
 * into gateway spans with what the model says about each frontend (the service of a service
 * address; the edge, and per route index the route's label and target) and go into the same
 * bounded queue as the Node listeners' spans. A line that is not a span's, or names a frontend the
 * model does not know, is ignored.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { GatewaySpan } from '../../model/trace.js';
import { routeLabel } from '../routeCounters.js';
import { compileRoutes } from '../router.js';
import type { SpanQueue } from '../spans.js';
import { proxyName, type HaproxyModel } from './config.js';
import { SPAN_LOG_TAG } from './traceRules.js';
import { HaproxyLogCounters, type LoggedRequest } from './haproxyLogCounters.js';

type Frontend =
  { kind: 'service'; service: string } | { kind: 'edge'; edge: string; routes: { label: string; target: string }[] };

/** What each traced frontend stands for, by its HAProxy name. */
export function frontendsOf(m: HaproxyModel): Map<string, Frontend> {
  const out = new Map<string, Frontend>();
  for (const s of m.services) out.set(proxyName('f', s.key), { kind: 'service', service: s.key });
  // Every edge, also one Node routes now (its lines say route -1 and are ignored): the counters of
  // its routes from the time HAProxy routed it are kept for when it does again.
  for (const e of m.edges)
    out.set(proxyName('f', `edge/${e.key}`), {
      kind: 'edge',
      edge: e.key,
      // In the order config.ts numbers them (txn.route).
      routes: compileRoutes(e.routes ?? [], (r) => ({ label: routeLabel(r), target: r.target })).map((r) => r.target),
    });
  return out;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** What one log line says: its span (tracing on) and the request for the counters (served by a replica). */
export interface LoggedLine {
  span?: GatewaySpan;
  request?: LoggedRequest;
}

const MICROS = /^\d{1,16}$/;

/**
 * A request's start (ms since the epoch) and duration (ms): from the microsecond times when the
 * line has them (`t0` is `-` when a rule answered before the frontend's trace rules, e.g. a 414),
 * else from the accept time and `%Ta`, whole milliseconds.
 */
function timesOf(ts: string, ta: string, t0: string, t1: string): { startMs: number; durationMs: number } {
  if (MICROS.test(t0) && MICROS.test(t1)) {
    const [from, to] = [Number(t0), Number(t1)];
    if (to >= from) return { startMs: from / 1000, durationMs: (to - from) / 1000 };
  }
  return { startMs: Number(ts) * 1000, durationMs: Math.max(0, Number(ta)) };
}

/** The span and request of one log line; empty when the line is not one of a known frontend. */
export function parseLine(line: string, frontends: ReadonlyMap<string, Frontend>): LoggedLine {
  const f = line.trim().split(' ');
  if (f[0] !== SPAN_LOG_TAG) return {};
  // 12 fields: a line of a HAProxy configured before the microsecond times (until its reload).
  if (f.length === 12) f.splice(7, 0, '-', '-');
  if (f.length !== 14) return {};
  const [, traceId, spanId, parentId, st, ts, ta, t0, t1, method, name, routeIndex, server, path] = f as [
    string,
    ...string[],
  ];
  const front = frontends.get(name!);
  if (front === undefined) return {};
  const status = Math.max(0, Number(st));
  const { startMs, durationMs } = timesOf(ts!, ta!, t0!, t1!);
  if (!Number.isFinite(startMs) || !Number.isFinite(durationMs) || !Number.isFinite(status)) return {};
  const route = front.kind === 'edge' && /^\d+$/.test(routeIndex!) ? front.routes[Number(routeIndex)] : undefined;
  const service = front.kind === 'service' ? front.service : route?.target;
  // A native service has no split: its canary replicas are backups (c1…), used when no stable one is ready.
  const track = server!.startsWith('r') ? 'stable' : server!.startsWith('c') ? 'canary' : undefined;
  const error = status === 0 || status >= 500;
  const out: LoggedLine = {};
  if (service !== undefined && track !== undefined)
    out.request = {
      service,
      track,
      ...(front.kind === 'edge' && route !== undefined ? { edge: front.edge, route: route.label } : {}),
      durationMs,
      failed: error,
    };
  if (!HEX32.test(traceId!) || !HEX16.test(spanId!)) return out;
  out.span = {
    traceId: traceId!,
    spanId: spanId!,
    ...(HEX16.test(parentId!) ? { parentId: parentId! } : {}),
    kind: front.kind,
    ...(front.kind === 'edge' ? { edge: front.edge } : {}),
    ...(route !== undefined ? { route: route.label } : {}),
    ...(service !== undefined ? { service } : {}),
    ...(track !== undefined ? { track } : {}),
    method: method!,
    ...(path!.startsWith('/') ? { path: path! } : {}),
    status,
    error,
    startMs,
    durationMs,
  };
  return out;
}

/** The edge routes of `frontends` per target service, as `edge route` ids (HaproxyLogCounters.retain). */
function routesByService(frontends: ReadonlyMap<string, Frontend>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const of = (service: string): Set<string> => {
    let s = out.get(service);
    if (s === undefined) out.set(service, (s = new Set()));
    return s;
  };
  for (const f of frontends.values()) {
    if (f.kind === 'service') of(f.service);
    else for (const r of f.routes) of(r.target).add(`${f.edge} ${r.label}`);
  }
  return out;
}

/** Longest unfinished line kept between reads (HAProxy's lines are at most LOG_LINE_BYTES). */
const MAX_PENDING = 64 * 1024;

/** Where HAProxy's workers forward their log lines: spans into `queue` (tracing on), the rest into `counters`. */
export class HaproxySpanReceiver {
  private server: Server | undefined;
  private readonly connections = new Set<Socket>();
  private frontends = new Map<string, Frontend>();
  private readonly queue: SpanQueue | undefined;
  readonly counters = new HaproxyLogCounters();
  /** Told when lines arrive (traffic: the counters' poller reads quickly again). */
  private readonly traffic: () => void;

  constructor(queue: SpanQueue | undefined, traffic: () => void = () => undefined) {
    this.queue = queue;
    this.traffic = traffic;
  }

  /** Listens on 127.0.0.1 (`port`, e.g. the one HAProxy was configured with before a gateway restart, else any); its port. */
  async start(port = 0): Promise<number> {
    if (this.server !== undefined) return (this.server.address() as { port: number }).port;
    const listen = (p: number): Promise<Server> =>
      new Promise((resolve, reject) => {
        const s = createServer((c) => this.accept(c));
        s.once('error', reject);
        s.listen(p, '127.0.0.1', () => {
          s.off('error', reject);
          resolve(s);
        });
      });
    // The saved port may be taken now: then any, and HAProxy is reloaded with it.
    this.server = await listen(port).catch(() => listen(0));
    return (this.server.address() as { port: number }).port;
  }

  /** One worker's stream of lines (a reload's new worker connects anew). */
  private accept(c: Socket): void {
    this.connections.add(c);
    c.setEncoding('utf8');
    let pending = '';
    c.on('data', (chunk: string) => {
      const text = pending === '' ? chunk : pending + chunk;
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        this.line(text.slice(from, nl));
        from = nl + 1;
      }
      pending = text.length - from > MAX_PENDING ? '' : text.slice(from);
      this.traffic();
    });
    c.on('error', () => undefined);
    c.on('close', () => this.connections.delete(c));
  }

  private line(text: string): void {
    const { span, request } = parseLine(text, this.frontends);
    if (request !== undefined) this.counters.record(request);
    if (span !== undefined) this.queue?.push(span);
  }

  /** Reads later lines with what `m` says about its frontends. */
  use(m: HaproxyModel): void {
    this.frontends = frontendsOf(m);
    this.counters.retain(routesByService(this.frontends));
  }

  close(): void {
    for (const c of this.connections) c.destroy();
    this.server?.close();
    this.server = undefined;
  }
}
