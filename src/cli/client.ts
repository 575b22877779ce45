/**
 * The CLI's HTTP client for the control plane: finds it (flag, BERTH_SERVER, `<home>/server.json`,
 * then 127.0.0.1:7420), sends the token, turns error bodies back into Berth errors, and reads
 * streams (server-sent events and NDJSON).
 */
import { readFile } from 'node:fs/promises';
import { BerthError, UnavailableError, fromErrorJSON, type ErrorJSON } from '../errors.js';
import { readServerInfo, tokenFile } from '../server/serverInfo.js';

export const DEFAULT_PORT = 7420;

export interface ClientOptions {
  home: string;
  server?: string;
  token?: string;
}

export interface Client {
  readonly url: string;
  get<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string, query?: Record<string, string | number | boolean | undefined>): Promise<T>;
  /** Server-sent events: yields { event, data } until the server ends the stream or `signal` aborts. */
  events(
    path: string,
    query?: Record<string, string | number | boolean | undefined>,
    signal?: AbortSignal,
  ): AsyncIterable<{ event: string; data: unknown }>;
  /** NDJSON lines until the stream ends or `signal` aborts. */
  lines<T>(
    path: string,
    query?: Record<string, string | number | boolean | undefined>,
    signal?: AbortSignal,
  ): AsyncIterable<T>;
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

async function resolveToken(opts: ClientOptions): Promise<string | undefined> {
  if (opts.token) return opts.token;
  if (process.env.BERTH_TOKEN) return process.env.BERTH_TOKEN;
  try {
    return (await readFile(tokenFile(opts.home), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function qs(query?: Record<string, string | number | boolean | undefined>): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export async function createClient(opts: ClientOptions): Promise<Client> {
  const url = await resolveServerUrl(opts);
  const token = await resolveToken(opts);
  const headers = (json: boolean): Record<string, string> => ({
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(json ? { 'content-type': 'application/json' } : {}),
  });

  async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url + path, {
        method,
        headers: headers(body !== undefined),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new UnavailableError(
        `cannot reach the Berth control plane at ${url}: start it with \`berth server\` (or \`berth up\`), or point to it with --server`,
        { cause: err },
      );
    }
    if (!res.ok) {
      const text = await res.text();
      let json: ErrorJSON | undefined;
      try {
        json = JSON.parse(text) as ErrorJSON;
      } catch {
        json = undefined;
      }
      if (json?.code) throw fromErrorJSON(json);
      throw new BerthError('INTERNAL', `${method} ${path} failed with HTTP ${res.status}: ${text.slice(0, 200)}`);
    }
    return res;
  }
  const json = async <T>(res: Response): Promise<T> => {
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  };

  async function* chunks(res: Response): AsyncIterable<string> {
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        yield buf.slice(0, i);
        buf = buf.slice(i + 1);
      }
    }
    if (buf) yield buf;
  }

  return {
    url,
    get: async (path, query) => json(await send('GET', path + qs(query))),
    post: async (path, body) => json(await send('POST', path, body ?? {})),
    patch: async (path, body) => json(await send('PATCH', path, body)),
    delete: async (path, query) => json(await send('DELETE', path + qs(query))),
    async *events(path, query, signal) {
      const res = await send('GET', path + qs(query), undefined, signal);
      let event = 'message';
      let data = '';
      try {
        for await (const line of chunks(res)) {
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
    async *lines<T>(path: string, query?: Record<string, string | number | boolean | undefined>, signal?: AbortSignal) {
      const res = await send('GET', path + qs(query), undefined, signal);
      try {
        for await (const line of chunks(res)) if (line.trim()) yield JSON.parse(line) as T;
      } catch (err) {
        if (!signal?.aborted) throw err;
      }
    },
    async healthy() {
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        return res.ok;
      } catch {
        return false;
      }
    },
  };
}
