/**
 * The CLI's HTTP client for the control plane: finds it (flag, BERTH_SERVER, `<home>/server.json`,
 * then 127.0.0.1:7420), sends the token, turns error bodies back into Berth errors, and reads
 * streams (server-sent events and NDJSON).
 *
 * It speaks node:http rather than the global fetch: fetch loads Node's bundled undici on first use,
 * which costs ~50–100 ms of a short command's start (every `berth` invocation pays it).
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { BerthError, UnavailableError, fromErrorJSON, type ErrorJSON } from '../errors.js';
import { readServerInfo, tokenFile } from '../server/serverInfo.js';
import { readCredential } from './credentials.js';

export const DEFAULT_PORT = 7420;

export interface ClientOptions {
  home: string;
  server?: string;
  token?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

export interface Client {
  readonly url: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** POST, answered in another type than JSON (`accept`): the response, to stream its body (e.g. to stdout). */
  postFor(path: string, body: unknown, accept: string): Promise<IncomingMessage>;
  patch<T>(path: string, body: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string, query?: Query): Promise<T>;
  /** Server-sent events: yields { event, data } until the server ends the stream or `signal` aborts. */
  events(path: string, query?: Query, signal?: AbortSignal): AsyncIterable<{ event: string; data: unknown }>;
  /** GET answered in another type than JSON (a text log): the response, to stream its body. */
  getFor(path: string, query?: Query, signal?: AbortSignal): Promise<IncomingMessage>;
  /** NDJSON lines until the stream ends or `signal` aborts. */
  lines<T>(path: string, query?: Query, signal?: AbortSignal): AsyncIterable<T>;
  healthy(): Promise<boolean>;
}

/** Where the control plane is, in order: flag, BERTH_SERVER, server.json of the data dir, the default port. */
export async function resolveServerUrl(opts: ClientOptions): Promise<string> {
  if (opts.server) return opts.server.replace(/\/$/, '');
  if (process.env.BERTH_SERVER) return process.env.BERTH_SERVER.replace(/\/$/, '');
  const info = await readServerInfo(opts.home);
  if (info) return info.url;
  const port = Number(process.env.BERTH_PORT ?? DEFAULT_PORT);
  return `http://127.0.0.1:${port}`;
}

/** The token to send: --token, BERTH_TOKEN, the `berth login` credential for `url`, then the bootstrap token file. */
async function resolveToken(opts: ClientOptions, url: string): Promise<string | undefined> {
  if (opts.token) return opts.token;
  if (process.env.BERTH_TOKEN) return process.env.BERTH_TOKEN;
  const signedIn = await readCredential(opts.home, url);
  if (signedIn) return signedIn.token;
  try {
    return (await readFile(tokenFile(opts.home), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function qs(query?: Query): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

interface SendOptions {
  body?: string;
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The response's body as text (UTF-8). */
async function textOf(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) text += chunk as string;
  return text;
}

/** The response's body split into lines, as they arrive. */
async function* linesOf(res: IncomingMessage): AsyncIterable<string> {
  res.setEncoding('utf8');
  let buf = '';
  for await (const chunk of res) {
    buf += chunk as string;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf) yield buf;
}

export async function createClient(opts: ClientOptions): Promise<Client> {
  const url = await resolveServerUrl(opts);
  const token = await resolveToken(opts, url);
  // https only for a control plane behind TLS (a --server https://… URL); loaded on demand.
  const request = url.startsWith('https:') ? (await import('node:https')).request : httpRequest;

  /** One HTTP exchange; resolves with the response once its status is 2xx, else throws the Berth error it carries. */
  function exchange(method: string, path: string, o: SendOptions): Promise<IncomingMessage> {
    const headers: Record<string, string> = {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(o.accept ? { accept: o.accept } : {}),
    };
    const options: RequestOptions = { method, headers, ...(o.signal ? { signal: o.signal } : {}) };
    return new Promise((resolve, reject) => {
      const req = request(url + path, options, resolve);
      req.on('error', reject);
      if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`no answer in ${o.timeoutMs} ms`)));
      req.end(o.body);
    });
  }

  async function send(method: string, path: string, o: SendOptions = {}): Promise<IncomingMessage> {
    let res: IncomingMessage;
    try {
      res = await exchange(method, path, o);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      throw new UnavailableError(
        `cannot reach the Berth control plane at ${url}: start it with \`berth server\` (or \`berth up\`), or point to it with --server`,
        { cause: err },
      );
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const text = await textOf(res);
      let json: ErrorJSON | undefined;
      try {
        json = JSON.parse(text) as ErrorJSON;
      } catch {
        json = undefined;
      }
      if (json?.code) throw fromErrorJSON(json);
      throw new BerthError('INTERNAL', `${method} ${path} failed with HTTP ${status}: ${text.slice(0, 200)}`);
    }
    return res;
  }
  const json = async <T>(res: IncomingMessage): Promise<T> => {
    const text = await textOf(res);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const body = (value: unknown): string => JSON.stringify(value);

  return {
    url,
    get: async (path, query) => json(await send('GET', path + qs(query))),
    post: async (path, value) => json(await send('POST', path, { body: body(value ?? {}) })),
    postFor: (path, value, accept) => send('POST', path, { body: body(value), accept }),
    getFor: (path, query, signal) => send('GET', path + qs(query), signal ? { signal } : {}),
    patch: async (path, value) => json(await send('PATCH', path, { body: body(value) })),
    put: async (path, value) => json(await send('PUT', path, { body: body(value) })),
    delete: async (path, query) => json(await send('DELETE', path + qs(query))),
    async *events(path, query, signal) {
      const res = await send('GET', path + qs(query), signal ? { signal } : {});
      let event = 'message';
      let data = '';
      try {
        for await (const line of linesOf(res)) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
          else if (line === '' && data) {
            yield { event, data: JSON.parse(data) as unknown };
            event = 'message';
            data = '';
          }
        }
      } catch (err) {
        if (!signal?.aborted) throw err;
      }
    },
    async *lines<T>(path: string, query?: Query, signal?: AbortSignal) {
      const res = await send('GET', path + qs(query), signal ? { signal } : {});
      try {
        for await (const line of linesOf(res)) if (line.trim()) yield JSON.parse(line) as T;
      } catch (err) {
        if (!signal?.aborted) throw err;
      }
    },
    async healthy() {
      try {
        const res = await exchange('GET', '/healthz', { timeoutMs: 2000 });
        res.resume();
        return (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
      } catch {
        return false;
      }
    },
  };
}
