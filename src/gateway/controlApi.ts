/**
 * The gateway's control API on 127.0.0.1: `GET /healthz` (open), and with
 * `Authorization: Bearer <token>`: `GET /table`, `PUT /table`, `GET /stats`, and `GET /spans?max=N`
 * (takes up to N, default 5000, of the queued spans: the control plane collects them).
 * Errors are Berth's error JSON with the status from `httpStatusOf`.
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

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
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

async function handle(h: ControlApiHandlers, token: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const [path, query] = (req.url ?? '/').split('?', 2);
  if (path === '/healthz' && req.method === 'GET') return sendJson(res, 200, { ok: true, ...h.health() });
  if (!authorized(req, token)) throw new UnauthorizedError();
  if (path === '/table' && req.method === 'GET') return sendJson(res, 200, h.table());
  if (path === '/table' && req.method === 'PUT') {
    const table = parseRoutingTable(await readJson(req));
    const result = await h.apply(table);
    return sendJson(res, 200, result.errors.length > 0 ? result : { generation: result.generation });
  }
  if (path === '/stats' && req.method === 'GET') return sendJson(res, 200, await h.stats());
  if (path === '/spans' && req.method === 'GET') {
    const body = await h.spans(spanBatchSize(query));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    return void res.end(body);
  }
  throw new NotFoundError(`no such endpoint: ${req.method} ${path}`);
}

/** Creates (does not start) the control API server. */
export function createControlApi(h: ControlApiHandlers): Server {
  const token = Buffer.from(h.token);
  return createServer((req, res) => {
    handle(h, token, req, res).catch((err: unknown) => {
      const e = toBerthError(err);
      if (!res.headersSent) sendJson(res, httpStatusOf(e), e.toJSON());
      else res.destroy();
    });
  });
}
