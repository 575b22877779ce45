/**
 * Calls to the control plane's API with the tab's token. Error bodies become ApiError (code, message,
 * every problem with its field path); a 401 also signs the tab out.
 */
import { clearToken, getToken } from '../auth/token';
import type { ErrorBody, Problem } from './types';

/** Fired on window when the API refuses the token: the shell goes back to the sign-in page. */
export const UNAUTHORIZED_EVENT = 'berth:unauthorized';

/** An error answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: Problem[];
  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.problems = body.problems ?? [];
  }
}

/** `/api/v1/apps/:app/envs/:env` with both parts escaped. */
export function appBase(app: string, env: string): string {
  return `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}`;
}

/** Sends a request with the token and returns the raw response once it is known to be a success. */
export async function send(
  method: string,
  path: string,
  opts: { body?: unknown; signal?: AbortSignal; token?: string } = {},
): Promise<Response> {
  const token = opts.token ?? getToken();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, { code: 'UNAVAILABLE', message: (err as Error).message });
  }
  if (res.ok) return res;
  const text = await res.text();
  let body: ErrorBody;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    body = { code: `HTTP_${res.status}`, message: text || res.statusText };
  }
  if (res.status === 401 && opts.token === undefined) {
    clearToken();
    window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  }
  throw new ApiError(res.status, body);
}

/** A JSON request: GET when there is no body. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(method, path, { ...(body === undefined ? {} : { body }), ...(signal ? { signal } : {}) });
  return (await res.json()) as T;
}
