/**
 * API tokens (docs/access.md "Tokens"). A caller manages its own tokens with any identity; another
 * user's tokens need users:read to list and users:write to create or revoke. A token's secret is in the
 * answer that issues it and nowhere else. A token made with a scoped token is at most as wide as that
 * one (a narrowed token cannot mint a wider one). Rotating the bootstrap token issues a new one, revokes
 * every other, and rewrites `<home>/token`.
 */
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { ValidationError } from '../../errors.js';
import { isPermission, type Permission, type Principal } from '../../model/access.js';
import { principalOf } from '../identity.js';
import { authorize } from '../routePermissions.js';
import { expiryOf } from '../expiry.js';
import { writeTokenFile } from '../auth.js';
import { defaultTokenOwner } from '../auth.js';

/** How long a created token lives unless asked otherwise. */
const TOKEN_TTL_MS = 90 * 24 * 3600_000;

const NewToken = z.object({
  name: z.string().min(1).max(128).describe('What the token is for (e.g. `ci`, `laptop`)'),
  user: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Whose token (default: the caller; another user needs users:write)'),
  scopes: z
    .array(z.string().max(64))
    .max(64)
    .optional()
    .describe('Permissions it is narrowed to (default: none narrowed)'),
  expiresIn: z.string().max(16).optional().describe('How long it lives: 30d, 12h… (default 90d, at most 366d)'),
  description: z.string().max(500).optional(),
});

const bad = (path: string, message: string): ValidationError =>
  new ValidationError(`invalid ${path}`, [{ file: 'request body', path, message }]);

/** The scopes asked, checked: known permissions, and no wider than a scoped caller's own. */
function scopesFor(asked: readonly string[] | undefined, caller: Principal): Permission[] | undefined {
  if (asked === undefined) return caller.tokenScopes ? [...caller.tokenScopes] : undefined;
  const unknown = asked.filter((p) => !isPermission(p));
  if (unknown.length) throw bad('scopes', `unknown permission${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  if (!asked.length) throw bad('scopes', 'a scoped token needs at least one permission');
  const scopes = [...new Set(asked)] as Permission[];
  const wider = caller.tokenScopes ? scopes.filter((p) => !caller.tokenScopes!.includes(p)) : [];
  if (wider.length)
    throw bad(
      'scopes',
      `the token this request came with is not scoped to ${wider.join(', ')}: a new token cannot be wider`,
    );
  return scopes;
}

/** Whether `user` is the caller itself (a bootstrap token acts as no stored user). */
const isSelf = (p: Principal, user: string | null): boolean => p.kind !== 'bootstrap' && user === p.name;

/** Checks the caller may act on `user`'s tokens (`permission` for another's). */
async function mayManage(req: FastifyRequest, ctx: ServerContext, user: string | null, permission: Permission) {
  if (!isSelf(principalOf(req), user)) await authorize(req, ctx, permission, {});
}

export function tokenRoutes(api: Api, ctx: ServerContext): void {
  const { tokens, users } = ctx.access;

  api.post(
    '/api/v1/tokens',
    {
      schema: {
        summary: 'Create an API token (its secret is shown in this answer only)',
        tags: ['identity'],
        body: NewToken,
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const b = req.body;
      if (b.user === undefined && p.kind === 'bootstrap')
        throw bad('user', `the bootstrap token acts as no stored user: name the user the token is for`);
      const owner = await users.find(b.user ?? p.name);
      if (!owner) throw bad('user', `no user ${b.user ?? p.name}`);
      await mayManage(req, ctx, owner.name, 'users:write');
      if (owner.disabled) throw bad('user', `${owner.name} is disabled`);
      const scopes = scopesFor(b.scopes, p);
      const expiresAt = expiryOf(b.expiresIn, 'expiresIn', TOKEN_TTL_MS);
      const { secret, token } = await tokens.issue({
        name: b.name,
        kind: owner.kind === 'service' ? 'service' : 'personal',
        user: owner.name,
        ...(b.description !== undefined ? { description: b.description } : {}),
        ...(scopes ? { scopes } : {}),
        expiresAt,
        createdBy: p.name,
      });
      return reply.status(201).send({ ...token, token: secret });
    },
  );

  api.get(
    '/api/v1/tokens',
    {
      schema: {
        summary:
          "The caller's live tokens; another user's (`user`) or everyone's (`all`) need users:read (never secrets)",
        tags: ['identity'],
        querystring: z.object({
          user: z.string().min(1).max(128).optional(),
          all: z.enum(['true', 'false']).optional().describe('Every user’s tokens, and the bootstrap tokens'),
          revoked: z.enum(['true', 'false']).optional().describe('Include revoked tokens'),
        }),
      },
    },
    async (req) => {
      const p = principalOf(req);
      const q = req.query;
      const includeRevoked = q.revoked === 'true';
      if (q.all === 'true') {
        await authorize(req, ctx, 'users:read', {});
        return tokens.list({ includeRevoked });
      }
      if (q.user !== undefined) {
        await mayManage(req, ctx, q.user, 'users:read');
        return tokens.list({ user: q.user, includeRevoked });
      }
      if (p.kind === 'bootstrap')
        return (await tokens.list({ kind: 'bootstrap', includeRevoked })).filter((t) => t.name === p.name);
      return tokens.list({ user: p.name, includeRevoked });
    },
  );

  api.delete(
    '/api/v1/tokens/:id',
    {
      schema: {
        summary: "Revoke a token (the caller's own; another user's needs users:write)",
        tags: ['identity'],
        params: z.object({ id: z.coerce.number().int().positive().describe('Token id') }),
      },
    },
    async (req) => {
      const t = await tokens.get(req.params.id);
      await mayManage(req, ctx, t.user, 'users:write');
      return tokens.revoke(t.id);
    },
  );

  api.post(
    '/api/v1/tokens/bootstrap/rotate',
    {
      schema: {
        summary: 'Rotate the bootstrap admin token: a new one (also written to <home>/token), every other revoked',
        tags: ['identity'],
      },
    },
    async (req) => {
      await authorize(req, ctx, 'roles:write', {});
      const live = await tokens.list({ kind: 'bootstrap' });
      const owner = live.at(-1)?.name ?? defaultTokenOwner();
      await tokens.revokeAll({ kind: 'bootstrap' });
      const { secret, token } = await tokens.issue({
        name: owner,
        kind: 'bootstrap',
        createdBy: principalOf(req).name,
        description: 'bootstrap admin token',
      });
      await writeTokenFile(ctx.home, secret);
      return { ...token, token: secret };
    },
  );
}
