/**
 * The gateway's control API on 127.0.0.1: `GET /healthz` (open), and with
 * `Authorization: Bearer <token>`: `GET /table`, `PUT /table`, `GET /stats`, and `GET /spans?max=N`
 * (takes up to N, default 5000, of the queued spans: the control plane collects them).
 * Errors are Berth's error JSON with the status from `httpStatusOf`.
 *
 * The control plane asks often and mostly finds nothing new, so both reads can say so cheaply:
 * `GET /stats` carries an ETag that names the counters (the gateway's pid and start, the table's
 * generation, the data plane's activity); asked with it in `If-None-Match` while nothing moved, the
 * answer is 304 without a body, as fresh as a full one. `GET /spans?wait=MS&hold=ID` is held while
 * the queue is empty, until a span is queued, MS pass, the client leaves, or a `GET /spans?release=ID`
 * comes (the control plane's read of every span so far; a release that comes first answers the held
 * request at once when it arrives).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { NotFoundError, UnauthorizedError, ValidationError, httpStatusOf, toBerthError } from '../errors.js';
import type { DataPlaneReport } from './dataPlane.js';
import type { ListenerError } from './listeners.js';
import type { RoutingTable } from './table.js';
import { parseRoutingTable } from './tableSchema.js';

/** What `GET /stats` answers. */
export interface GatewayStats extends DataPlaneReport {
  generation: number;
}

/** What the control API needs from the gateway. */
export interface ControlApiHandlers {
  token: string;
  health(): { pid: number; generation: number };
  table(): RoutingTable;
  /** Validated table in; resolves once it is served. */
  apply(table: RoutingTable): Promise<{ generation: number; errors: ListenerError[] }>;
  /** Per-listener counters, and per-track counters of every service (asked of the workers when there are several). */
  stats(): GatewayStats | Promise<GatewayStats>;
  /** Takes up to `max` ended spans, oldest first: a SpanBatch as JSON text. */
  spans(max: number): string | Promise<string>;
  /**
   * Names what `stats()` would answer now (the same text: the same counters); undefined when it
   * cannot say. Asked in the same tick as `stats()`.
   */
  statsVersion(): string | undefined;
  /** Brings counters read periodically (HAProxy's) up to now; asked before `statsVersion()`. */
  fresh(): Promise<void>;
  /** Calls `wake` once at the next span queued, returning its cancel; undefined to answer at once. */
  onSpans(wake: () => void): (() => void) | undefined;
}

/** The longest a `GET /spans?wait=` is held. */
export const maxSpanWaitMs = 120_000;

/** A held `GET /spans`'s parameters; undefined for a plain read. */
function spanHold(params: URLSearchParams): { id: string; ms: number } | undefined {
  const raw = params.get('wait');
  if (raw === null) return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0 || ms > maxSpanWaitMs)
    throw new ValidationError('invalid wait', [
      {
        file: 'query',
        path: 'wait',
        message: `must be an integer from 0 to ${maxSpanWaitMs} (ms), got ${JSON.stringify(raw)}`,
      },
    ]);
  return { id: params.get('hold') ?? '', ms };
}

/** Held span reads by id, and releases that came before their read (a few, oldest forgotten first). */
class SpanHolds {
  private readonly held = new Map<string, () => void>();
  private readonly early = new Set<string>();

  /** Resolves when `res`'s read should be answered (see the file's comment). */
  hold(h: ControlApiHandlers, id: string, ms: number, res: ServerResponse): Promise<void> {
    if (ms === 0 || this.early.delete(id)) return Promise.resolve();
    return new Promise((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        cancel?.();
        if (this.held.get(id) === finish) this.held.delete(id);
        res.off('close', finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      const cancel = h.onSpans(finish);
      if (cancel === undefined) return finish();
      if (id !== '') this.held.get(id)?.();
      if (id !== '') this.held.set(id, finish);
      res.once('close', finish);
    });
  }

  release(id: string): void {
    const finish = this.held.get(id);
    if (finish !== undefined) return finish();
    this.early.add(id);
    if (this.early.size > 16) this.early.delete(this.early.values().next().value!);
  }
}

const defaultSpanBatch = 5000;

/** The `max` of `GET /spans`: a positive integer, at most 100 000. */
function spanBatchSize(query: string | undefined): number {
  const raw = new URLSearchParams(query ?? '').get('max');
  if (raw === null) return defaultSpanBatch;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 100_000)
    throw new ValidationError('invalid max', [
      { file: 'query', path: 'max', message: `must be an integer from 1 to 100000, got ${JSON.stringify(raw)}` },
    ]);
  return n;
}

const maxBodyBytes = 16 * 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown, etag?: string): void {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(data),
    ...(etag === undefined ? {} : { etag }),
  });
  res.end(data);
}

/** `GET /stats`: 304 while the counters are what the caller's ETag names, else the report (with its ETag). */
async function sendStats(h: ControlApiHandlers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await h.fresh();
  const version = h.statsVersion();
  const etag = version === undefined ? undefined : `"${version}"`;
  if (etag !== undefined && req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag });
    return void res.end();
  }
  const stats = await h.stats();
  // An open circuit shows as half-open once its time is up, with no request to move a counter.
  const timed = stats.services.some((s) => s.policy?.circuit !== undefined && s.policy.circuit.state !== 'closed');
  sendJson(res, 200, stats, timed ? undefined : etag);
}

function authorized(req: IncomingMessage, token: Buffer): boolean {
  const header = req.headers.authorization;
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7).trim());
  return given.length === token.length && timingSafeEqual(given, token);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) {
      throw new ValidationError('request body too large', [
        { file: 'request body', path: '', message: `larger than ${maxBodyBytes} bytes` },
      ]);
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new ValidationError('request body is not valid JSON', [
      { file: 'request body', path: '', message: (err as Error).message },
    ]);
  }
}

async function handle(
  h: ControlApiHandlers,
  holds: SpanHolds,
  token: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const [path, query] = (req.url ?? '/').split('?', 2);
  if (path === '/healthz' && req.method === 'GET') return sendJson(res, 200, { ok: true, ...h.health() });
  if (!authorized(req, token)) throw new UnauthorizedError();
  if (path === '/table' && req.method === 'GET') return sendJson(res, 200, h.table());
  if (path === '/table' && req.method === 'PUT') {
    const table = parseRoutingTable(await readJson(req));
    const result = await h.apply(table);
    return sendJson(res, 200, result.errors.length > 0 ? result : { generation: result.generation });
  }
  if (path === '/stats' && req.method === 'GET') return sendStats(h, req, res);
  if (path === '/spans' && req.method === 'GET') {
    const params = new URLSearchParams(query ?? '');
    const max = spanBatchSize(query);
    const wait = spanHold(params);
    const release = params.get('release');
    if (release !== null) holds.release(release);
    if (wait !== undefined) {
      await holds.hold(h, wait.id, wait.ms, res);
      // The client left: its spans stay queued for the next read.
      if (res.destroyed || req.socket.destroyed) return;
    }
    const body = await h.spans(max);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    return void res.end(body);
  }
  throw new NotFoundError(`no such endpoint: ${req.method} ${path}`);
}

/** Creates (does not start) the control API server. */
export function createControlApi(h: ControlApiHandlers): Server {
  const token = Buffer.from(h.token);
  const holds = new SpanHolds();
  // Kept alive longer than the control plane's longest cadence (the metric sampler's 10 s, the
  // trace collector's held read): one connection serves them all instead of one per read.
  const server = createServer((req, res) => {
    handle(h, holds, token, req, res).catch((err: unknown) => {
      const e = toBerthError(err);
      if (!res.headersSent) sendJson(res, httpStatusOf(e), e.toJSON());
      else res.destroy();
    });
  });
  server.keepAliveTimeout = controlKeepAliveMs;
  return server;
}

/** How long the control API keeps an idle connection (its client keeps it a little less). */
export const controlKeepAliveMs = 75_000;
