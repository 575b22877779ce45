/**
 * Who makes a request: the owner of the token it carries, set by the token check (app.ts) before
 * any handler runs. The author of every change (a revision, a config version) is this identity,
 * never a name the client sends.
 */
import type { FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';

/** The owner of a verified token. */
export interface Identity {
  /** The token's name (`tokens.name`): the author recorded on what its holder changes. */
  name: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller; null on the routes that need no token. */
    identity: Identity | null;
  }
}

/** The author of a change made by `req`: its token's owner. */
export function authorOf(req: FastifyRequest): string {
  if (!req.identity) throw new UnauthorizedError();
  return req.identity.name;
}
