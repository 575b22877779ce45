/**
 * Signing in with a password (docs/access.md): `POST /api/v1/login` issues a personal token for the CLI
 * (`berth login`), `POST /api/v1/session` opens a console session (an HttpOnly, SameSite=Strict cookie
 * and its CSRF token), `DELETE /api/v1/session` ends it. Both sign-ins are rate-limited per user and
 * per address (429 + Retry-After) and answer the same 401 for an unknown user and a wrong password.
 * These routes take no identity (they make one); the password is never logged.
 */
import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { UnauthorizedError } from '../../errors.js';
import { CSRF_HEADER, SESSION_COOKIE, SESSION_TTL_MS, type Session } from '../../access/sessions.js';
import { createLoginLimiter, type LoginLimiter } from '../../access/loginLimiter.js';
import type { User } from '../../access/users.js';
import { expiryOf } from '../expiry.js';

/** The sign-in routes: no identity needed (app.ts adds them to its public set). */
export const SIGN_IN_URLS = ['/api/v1/login', '/api/v1/session'] as const;

const Credentials = z.object({
  user: z.string().min(1).max(128).describe('The user name'),
  password: z.string().min(1).max(1024).describe('Its password'),
});

/** The user `user`/`password` name, or a 401 (429 when limited). */
async function signIn(
  ctx: ServerContext,
  limiter: LoginLimiter,
  req: FastifyRequest,
  c: z.infer<typeof Credentials>,
): Promise<User> {
  limiter.check(c.user, req.ip);
  const user = await ctx.access.users.checkPassword(c.user, c.password);
  if (!user) {
    limiter.failed(c.user, req.ip);
    ctx.logger.info({ user: c.user, address: req.ip }, 'sign-in refused');
    throw new UnauthorizedError('wrong user name or password');
  }
  limiter.succeeded(c.user);
  return user;
}

/** Sets the session's cookie on `reply` (Secure when the request came over https). */
export function setSessionCookie(
  req: FastifyRequest,
  reply: FastifyReply,
  secret: string,
  session: Pick<Session, 'expiresAt'>,
): void {
  void reply.setCookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: req.protocol === 'https',
    expires: new Date(session.expiresAt),
  });
}

export function sessionRoutes(api: Api, ctx: ServerContext, limiter: LoginLimiter = createLoginLimiter()): void {
  api.post(
    '/api/v1/login',
    {
      schema: {
        summary: 'Sign in with a password: a personal token for the CLI (shown once)',
        tags: ['identity'],
        body: Credentials.extend({
          expiresIn: z.string().max(16).optional().describe('How long the token lives (default 30d, at most 366d)'),
          name: z.string().min(1).max(128).optional().describe('What the token is called (default `login`)'),
        }),
      },
    },
    async (req, reply) => {
      const expiresAt = expiryOf(req.body.expiresIn);
      const user = await signIn(ctx, limiter, req, req.body);
      const { secret, token } = await ctx.access.tokens.issue({
        name: req.body.name ?? 'login',
        kind: user.kind === 'service' ? 'service' : 'personal',
        user: user.name,
        expiresAt,
        createdBy: user.name,
        description: 'berth login',
      });
      return reply.status(201).send({ token: secret, id: token.id, user: user.name, expiresAt: token.expiresAt });
    },
  );

  api.post(
    '/api/v1/session',
    {
      schema: {
        summary: 'Sign in to the console with a password: a session cookie and its CSRF token',
        tags: ['identity'],
        body: Credentials,
      },
    },
    async (req, reply) => {
      const user = await signIn(ctx, limiter, req, req.body);
      const { secret, session } = await ctx.access.sessions.create({
        user: user.name,
        via: 'password',
        ttlMs: SESSION_TTL_MS,
      });
      setSessionCookie(req, reply, secret, session);
      return {
        name: user.name,
        kind: user.kind,
        groups: user.groups,
        via: 'session',
        csrf: session.csrf,
        expiresAt: session.expiresAt,
      };
    },
  );

  api.delete(
    '/api/v1/session',
    { schema: { summary: 'Sign out of the console: the session ends and its cookie is cleared', tags: ['identity'] } },
    async (req, reply) => {
      const secret = req.cookies[SESSION_COOKIE];
      if (secret) {
        // Ending a session is a change: without its CSRF token, another site could sign a user out.
        const found = await ctx.access.sessions.verify(secret);
        if (found && req.headers[CSRF_HEADER] === found.csrf) await ctx.access.sessions.end(secret);
        else if (found)
          throw new UnauthorizedError(`signing out needs the session's CSRF token in the ${CSRF_HEADER} header`);
      }
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send();
    },
  );
}
