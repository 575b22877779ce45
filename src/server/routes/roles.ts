/**
 * Roles and role bindings (docs/access.md "Roles and bindings"): the built-in and custom roles, custom
 * ones created and deleted; bindings of a user or a group to a role in an app and an environment
 * (`*`: any), listed, added and removed. Reading needs roles:read, changing roles:write, on the
 * control plane as a whole.
 */
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import type { Api } from './api.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { authorOf } from '../identity.js';
import { SUBJECT_NAME } from '../../access/users.js';

const bad = (path: string, message: string): ValidationError =>
  new ValidationError(`invalid ${path}`, [{ file: 'request body', path, message }]);

const NewRole = z.object({
  name: z.string().max(63).describe('A DNS label'),
  permissions: z.array(z.string().max(64)).max(64).describe('Permissions it grants'),
  description: z.string().max(500).optional(),
});

const NewBinding = z.object({
  user: z.string().min(1).max(128).optional().describe('The user or service account (or `group`)'),
  group: z.string().min(1).max(128).optional().describe('The group (or `user`)'),
  role: z.string().min(1).max(63),
  app: z.string().min(1).max(63).optional().describe('An app, or * (default)'),
  env: z.string().min(1).max(63).optional().describe('An environment, or * (default)'),
});

export function roleRoutes(api: Api, ctx: ServerContext): void {
  const { roles } = ctx.access;

  api.get('/api/v1/roles', { schema: { summary: 'The built-in and custom roles', tags: ['identity'] } }, async () =>
    roles.roles(),
  );

  api.post(
    '/api/v1/roles',
    { schema: { summary: 'Create a custom role: a set of permissions', tags: ['identity'], body: NewRole } },
    async (req, reply) => {
      const b = req.body;
      const role = await roles.createRole({
        name: b.name,
        permissions: b.permissions,
        ...(b.description !== undefined ? { description: b.description } : {}),
        createdBy: authorOf(req),
      });
      return reply.status(201).send(role);
    },
  );

  api.delete(
    '/api/v1/roles/:name',
    {
      schema: {
        summary: 'Delete a custom role (refused while a binding uses it)',
        tags: ['identity'],
        params: z.object({ name: z.string().min(1).max(63) }),
      },
    },
    async (req, reply) => {
      await roles.deleteRole(req.params.name);
      return reply.status(204).send();
    },
  );

  api.get(
    '/api/v1/role-bindings',
    {
      schema: {
        summary: 'Role bindings, narrowed by subject (a user or group name), app and environment',
        tags: ['identity'],
        querystring: z.object({
          subject: z.string().min(1).max(128).optional(),
          app: z.string().min(1).max(63).optional(),
          env: z.string().min(1).max(63).optional(),
        }),
      },
    },
    async (req) => {
      const q = req.query;
      return roles.bindings({
        ...(q.subject !== undefined ? { subject: q.subject } : {}),
        ...(q.app !== undefined ? { app: q.app } : {}),
        ...(q.env !== undefined ? { env: q.env } : {}),
      });
    },
  );

  api.post(
    '/api/v1/role-bindings',
    {
      schema: {
        summary: 'Give a user or a group a role in an app and an environment',
        tags: ['identity'],
        body: NewBinding,
      },
    },
    async (req, reply) => {
      const b = req.body;
      if ((b.user === undefined) === (b.group === undefined))
        throw bad(b.user === undefined ? 'user' : 'group', 'name either a user or a group');
      const field = b.user !== undefined ? 'user' : 'group';
      const subject = (b.user ?? b.group)!;
      if (!SUBJECT_NAME.test(subject)) throw bad(field, `${JSON.stringify(subject)} is not a valid ${field} name`);
      try {
        await roles.role(b.role);
      } catch (err) {
        if (err instanceof NotFoundError) throw bad('role', `no role ${b.role} (see GET /api/v1/roles)`);
        throw err;
      }
      const binding = await roles.bind({
        subjectKind: field,
        subject,
        role: b.role,
        ...(b.app !== undefined ? { app: b.app } : {}),
        ...(b.env !== undefined ? { env: b.env } : {}),
        createdBy: authorOf(req),
      });
      return reply.status(201).send(binding);
    },
  );

  api.delete(
    '/api/v1/role-bindings/:id',
    {
      schema: {
        summary: 'Remove a role binding',
        tags: ['identity'],
        params: z.object({ id: z.coerce.number().int().positive().describe('Binding id') }),
      },
    },
    async (req) => roles.unbind(req.params.id),
  );
}
