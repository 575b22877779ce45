/**
 * Who a request is (docs/access.md): a bearer token (the CLI, scripts, the console signed in with a
 * token), or a console session's HttpOnly cookie. A change made with a session must carry the session's
 * CSRF token in the `x-berth-csrf` header: another site can make a browser send the cookie, never
 * read the token (double submit, with SameSite=Strict as the first wall).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../errors.js';
import type { Principal } from '../model/access.js';
import type { Access } from '../access/access.js';
import { CSRF_HEADER, SESSION_COOKIE, type Session } from '../access/sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session the request came with (null: a token, or none). */
    consoleSession: Session | null;
  }
}

/** Methods that change nothing: no CSRF token needed. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request's principal, or undefined when it proves none (401); a session's change without its CSRF token is 403. */
export async function authenticate(req: FastifyRequest, access: Access): Promise<Principal | undefined> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    return token ? access.authorizer.fromToken(token) : undefined;
  }
  const cookie = req.cookies[SESSION_COOKIE];
  if (!cookie) return undefined;
  const found = await access.authorizer.fromSession(cookie);
  if (!found) return undefined;
  if (!SAFE.has(req.method)) {
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameSecret(sent, found.session.csrf))
      throw new ForbiddenError(
        `a change made with a console session needs the session's CSRF token in the ${CSRF_HEADER} header`,
        {
          details: { csrf: true },
        },
      );
  }
  req.consoleSession = found.session;
  return found.principal;
}
