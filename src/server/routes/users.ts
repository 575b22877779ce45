/**
 * Users and service accounts (docs/access.md "Users and service accounts"): create, list, show, change
 * (password, groups, display name, disabled) and delete. A deleted user's tokens are revoked, its role
 * bindings removed and its sessions ended; a disabled one's tokens and sessions are refused (and its
 * sessions ended) until it is enabled again. Tokens (tokens.ts) and roles (roles.ts) register here too.
 */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { authorOf } from '../identity.js';
import { tokenRoutes } from './tokens.js';
import { roleRoutes } from './roles.js';

const Name = z.object({ name: z.string().min(1).max(128).describe('User or service account name') });

const Groups = z.array(z.string().max(128)).max(100).describe('Local groups it is in (role bindings to a group apply)');

const NewUser = z.object({
  name: z.string().max(128).describe('Letters, digits and ._@- (at most 128)'),
  kind: z.enum(['user', 'service']).optional().describe('`service`: a service account (no password, tokens only)'),
  password: z.string().max(1024).optional().describe('A user’s password (at least 10 characters)'),
  displayName: z.string().max(200).optional(),
  groups: Groups.optional(),
});

const UserChange = z.object({
  password: z.string().max(1024).optional(),
  groups: Groups.optional().describe('Replaces its groups'),
  disabled: z.boolean().optional().describe('A disabled user’s tokens and sessions are refused'),
  displayName: z.string().max(200).nullable().optional(),
});

export function userRoutes(api: Api, ctx: ServerContext): void {
  const { users, sessions } = ctx.access;

  api.post(
    '/api/v1/users',
    { schema: { summary: 'Create a user or a service account', tags: ['identity'], body: NewUser } },
    async (req, reply) => {
      const b = req.body;
      const user = await users.create({
        name: b.name,
        kind: b.kind ?? 'user',
        ...(b.password !== undefined ? { password: b.password } : {}),
        ...(b.displayName !== undefined ? { displayName: b.displayName } : {}),
        ...(b.groups ? { groups: b.groups } : {}),
        createdBy: authorOf(req),
      });
      return reply.status(201).send(user);
    },
  );

  api.get('/api/v1/users', { schema: { summary: 'Every user and service account', tags: ['identity'] } }, async () =>
    users.list(),
  );

  api.get(
    '/api/v1/users/:name',
    { schema: { summary: 'A user or service account', tags: ['identity'], params: Name } },
    async (req) => users.get(req.params.name),
  );

  api.patch(
    '/api/v1/users/:name',
    {
      schema: {
        summary: 'Change a user: password, groups, display name, disabled',
        tags: ['identity'],
        params: Name,
        body: UserChange,
      },
    },
    async (req) => {
      const { name } = req.params;
      const b = req.body;
      await users.get(name);
      if (b.password !== undefined) await users.setPassword(name, b.password);
      if (b.groups !== undefined) await users.setGroups(name, b.groups);
      if (b.displayName !== undefined) await users.setDisplayName(name, b.displayName);
      if (b.disabled !== undefined) {
        await users.setDisabled(name, b.disabled);
        // A disabled user's console sessions end now (its tokens are refused while it stays disabled).
        if (b.disabled) await sessions.endAllOf(name);
      }
      // A new password ends the sessions opened with the old one.
      if (b.password !== undefined) await sessions.endAllOf(name);
      return users.get(name);
    },
  );

  api.delete(
    '/api/v1/users/:name',
    {
      schema: {
        summary: 'Delete a user: its tokens are revoked, its role bindings removed, its sessions ended',
        tags: ['identity'],
        params: Name,
      },
    },
    async (req, reply) => {
      await users.remove(req.params.name);
      return reply.status(204).send();
    },
  );

  tokenRoutes(api, ctx);
  roleRoutes(api, ctx);
}
