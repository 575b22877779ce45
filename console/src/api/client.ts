/**
 * Calls to the control plane's API as the tab is signed in: a token as a Bearer header, or a console
 * session's cookie (sent by the browser, same origin) with its CSRF token in `x-berth-csrf` on every
 * change. Error bodies become ApiError (code, message, every problem with its field path, a 429's
 * Retry-After); a 401 also signs the tab out.
 */
import { forgetCredentials, getCsrf, getToken } from '../auth/token';
import type { ErrorBody, Problem } from './types';

/** Fired on window when the API refuses the token: the shell goes back to the sign-in page. */
export const UNAUTHORIZED_EVENT = 'berth:unauthorized';

/** An error answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problems: Problem[];
  /** Seconds a 429 asks to wait (its Retry-After header). */
  readonly retryAfter: number | undefined;
  constructor(status: number, body: ErrorBody, retryAfter?: number) {
    super(body.message);
    this.name = 'ApiError';
    this.status = status;
    this.code = body.code;
    this.problems = body.problems ?? [];
    this.retryAfter = retryAfter;
  }
}

/** `/api/v1/apps/:app/envs/:env` with both parts escaped. */
export function appBase(app: string, env: string): string {
  return `/api/v1/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}`;
}

/** The header a console session's changes carry its CSRF token in (src/access/sessions.ts). */
export const CSRF_HEADER = 'x-berth-csrf';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Sends a request as the tab is signed in (or with `opts.token`) and returns the raw response once it is
 * known to be a success. `opts.signingIn`: a sign-in attempt, whose 401 is its own answer, not a sign-out.
 */
export async function send(
  method: string,
  path: string,
  opts: { body?: unknown; signal?: AbortSignal; token?: string; signingIn?: boolean } = {},
): Promise<Response> {
  const token = opts.token ?? getToken();
  const csrf = token ? null : getCsrf();
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(csrf && !SAFE.has(method.toUpperCase()) ? { [CSRF_HEADER]: csrf } : {}),
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
  if (res.status === 401 && opts.token === undefined && !opts.signingIn) {
    forgetCredentials();
    window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  }
  const retryAfter = Number(res.headers.get('retry-after') ?? NaN);
  throw new ApiError(res.status, body, Number.isFinite(retryAfter) ? retryAfter : undefined);
}

/** A JSON request: GET when there is no body. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(method, path, { ...(body === undefined ? {} : { body }), ...(signal ? { signal } : {}) });
  return (await res.json()) as T;
}
