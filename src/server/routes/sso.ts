/**
 * Single sign-on routes (docs/access.md "Single sign-on"; the flow is src/access/sso/sso.ts). All public
 * (app.ts): they make an identity. A console sign-in goes /login → the provider → /callback → a session
 * cookie and the page it started from; a CLI sign-in (`berth login --sso`) goes POST /cli → the provider
 * → /callback → the CLI's loopback address with a one-time code → POST /cli/exchange → a personal token.
 * A failure sends the browser to `/signin?error=<code>[&to=<page>]` (the CLI's loopback: `?error=<code>`) and is
 * logged without any token or code.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { UnauthorizedError, UnavailableError } from '../../errors.js';
import { SESSION_TTL_MS } from '../../access/sessions.js';
import { hashSecret } from '../../access/tokens.js';
import { createLoginLimiter, type LoginLimiter } from '../../access/loginLimiter.js';
import { CALLBACK_PATH, type Sso } from '../../access/sso/sso.js';
import { SsoError } from '../../access/sso/oidc.js';
import { safeReturnPath } from '../../access/sso/settings.js';
import { setSessionCookie } from './session.js';
import { expiryOf } from '../expiry.js';

export const SSO_URLS = [
  '/api/v1/sso',
  '/api/v1/sso/login',
  CALLBACK_PATH,
  '/api/v1/sso/cli',
  '/api/v1/sso/cli/exchange',
] as const;

/** The cookie that ties a console sign-in to the browser that started it (no login CSRF). */
const BINDING_COOKIE = 'berth_sso';

const Port = z.number().int().min(1024).max(65535);
const Base64Url = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .regex(/^[A-Za-z0-9_~.-]+$/, 'base64url characters only');

/** Refuses (429 + Retry-After) an address past its limit (per address: a shared name would let one caller lock out all). */
function limit(limiter: LoginLimiter, req: FastifyRequest): void {
  limiter.check(req.ip, req.ip);
}

/** The sign-in page saying why single sign-on failed, and (`to`) the console page it was for. */
function signinAfter(code: string, to: string | undefined): string {
  const q = new URLSearchParams({ error: code });
  if (to && to !== '/') q.set('to', to);
  return `/signin?${q.toString()}`;
}

export function ssoRoutes(
  api: Api,
  ctx: ServerContext,
  // CLI starts count each call; exchanges count failures (a guessed code or verifier).
  limiters: { start: LoginLimiter; exchange: LoginLimiter } = {
    start: createLoginLimiter({ limit: 20, addressLimit: 20 }),
    exchange: createLoginLimiter({ limit: 10, addressLimit: 10 }),
  },
): void {
  const sso = (): Sso => {
    if (!ctx.sso)
      throw new SsoError('sso_unavailable', 'single sign-on is not configured (BERTH_OIDC_ISSUER, docs/access.md)');
    return ctx.sso;
  };
  /** The CLI's routes answer JSON: single sign-on unavailable is a 503. */
  const or503 = <T>(run: () => Promise<T>): Promise<T> =>
    Promise.resolve()
      .then(run)
      .catch((err: unknown) => {
        throw err instanceof SsoError ? new UnavailableError(err.message) : err;
      });
  const refused = (req: FastifyRequest, err: SsoError): void =>
    ctx.logger.warn({ code: err.code, address: req.ip }, `single sign-on refused: ${err.message}`);

  api.get(
    '/api/v1/sso',
    { schema: { summary: 'Whether single sign-on is offered (the console shows its button)', tags: ['identity'] } },
    async () => {
      const s = ctx.sso?.status();
      return { enabled: s?.enabled ?? false, ...(s?.issuer ? { issuer: s.issuer } : {}) };
    },
  );

  api.get(
    '/api/v1/sso/login',
    {
      schema: {
        summary: 'Console sign-in with SSO: a redirect to the provider; back at `to` (a console path) once signed in',
        tags: ['identity'],
        querystring: z.object({ to: z.string().max(2048).optional().describe('The console path to return to') }),
      },
    },
    async (req, reply) => {
      try {
        const binding = randomBytes(24).toString('base64url');
        const url = await sso().beginConsole(safeReturnPath(req.query.to), hashSecret(binding));
        void reply.setCookie(BINDING_COOKIE, binding, {
          httpOnly: true,
          // Lax: the provider's redirect back is a top-level navigation from another site.
          sameSite: 'lax',
          path: CALLBACK_PATH,
          secure: req.protocol === 'https',
          maxAge: 600,
        });
        return reply.redirect(url.href, 302);
      } catch (err) {
        const e = err instanceof SsoError ? err : new SsoError('sso_unavailable', (err as Error).message);
        refused(req, e);
        return reply.redirect(signinAfter(e.code, safeReturnPath(req.query.to)), 302);
      }
    },
  );

  api.get(
    CALLBACK_PATH,
    {
      schema: {
        summary: "The provider's redirect back: the code exchanged, the ID token checked, then a session or a CLI code",
        tags: ['identity'],
        // What a provider sends back (RFC 6749 4.1.2, RFC 9207 `iss`; Keycloak adds session_state); others kept as sent.
        querystring: z.looseObject({
          code: z.string().max(4096).optional(),
          state: z.string().max(1024).optional(),
          iss: z.string().max(2048).optional(),
          error: z.string().max(256).optional(),
          error_description: z.string().max(2048).optional(),
          error_uri: z.string().max(2048).optional(),
          session_state: z.string().max(1024).optional(),
        }),
      },
    },
    async (req, reply) => {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') query.set(k, v);
      const binding = req.cookies[BINDING_COOKIE];
      void reply.clearCookie(BINDING_COOKIE, { path: CALLBACK_PATH });
      try {
        const done = await sso().finish(query, binding ? hashSecret(binding) : undefined);
        ctx.logger.info({ user: done.user, groups: done.groups, via: done.kind }, 'signed in with single sign-on');
        if (done.kind === 'cli')
          return reply.redirect(`http://127.0.0.1:${done.port}/callback?code=${encodeURIComponent(done.code)}`, 302);
        const { secret, session } = await ctx.access.sessions.create({
          user: done.user,
          via: 'sso',
          ttlMs: SESSION_TTL_MS,
        });
        setSessionCookie(req, reply, secret, session);
        return reply.redirect(done.returnTo, 302);
      } catch (err) {
        const e = err instanceof SsoError ? err : new SsoError('sso_failed', (err as Error).message);
        refused(req, e);
        if (e.cliPort !== undefined)
          return reply.redirect(`http://127.0.0.1:${e.cliPort}/callback?error=${e.code}`, 302);
        return reply.redirect(signinAfter(e.code, e.returnTo), 302);
      }
    },
  );

  api.post(
    '/api/v1/sso/cli',
    {
      schema: {
        summary: 'CLI sign-in with SSO (`berth login --sso`): the provider URL for its browser',
        tags: ['identity'],
        body: z.object({
          port: Port.describe("The CLI's loopback port (its callback: http://127.0.0.1:PORT/callback)"),
          challenge: Base64Url(43, 43).describe("The S256 PKCE challenge of the CLI's verifier"),
        }),
      },
    },
    async (req) => {
      limit(limiters.start, req);
      limiters.start.failed(req.ip, req.ip);
      const url = await or503(() => sso().beginCli(req.body.port, req.body.challenge));
      return { url: url.href };
    },
  );

  api.post(
    '/api/v1/sso/cli/exchange',
    {
      schema: {
        summary: 'CLI sign-in with SSO: its one-time code and PKCE verifier for a personal token (shown once)',
        tags: ['identity'],
        body: z.object({
          code: Base64Url(16, 256).describe('The one-time code its loopback callback received'),
          verifier: Base64Url(43, 128).describe('The PKCE verifier of the challenge it started with'),
          expiresIn: z.string().max(16).optional().describe('How long the token lives (default 30d, at most 366d)'),
        }),
      },
    },
    async (req, reply) => {
      limit(limiters.exchange, req);
      const expiresAt = expiryOf(req.body.expiresIn);
      const user = await or503(() => sso().exchange(req.body.code, req.body.verifier));
      if (!user) {
        limiters.exchange.failed(req.ip, req.ip);
        ctx.logger.info({ address: req.ip }, 'single sign-on code exchange refused');
        throw new UnauthorizedError('the code is unknown, used or expired, or the verifier does not match');
      }
      const { secret, token } = await ctx.access.tokens.issue({
        name: 'sso-login',
        kind: 'personal',
        user,
        expiresAt,
        createdBy: user,
        description: 'berth login --sso',
      });
      return reply.status(201).send({ token: secret, id: token.id, user, expiresAt: token.expiresAt });
    },
  );
}
