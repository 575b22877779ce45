/**
 * Who makes a request: the principal of the bearer token or console session it carries, set by the
 * check in app.ts before any handler runs (src/access/authorizer.ts). The author of every change (a
 * revision, a config version) is this identity, never a name the client sends.
 */
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';
import type { Principal } from '../model/access.js';

/** A verified caller. */
export type Identity = Principal;

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; null on the routes that need no identity. */
    identity: Identity | null;
  }
}

/** The verified caller of `req` (401 on a route that took none). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.identity) throw new UnauthorizedError();
  return req.identity;
}

/** The author of a change made by `req`: its caller's name. */
export function authorOf(req: FastifyRequest): string {
  return principalOf(req).name;
}
